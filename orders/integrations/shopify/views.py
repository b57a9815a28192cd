"""POST /integrations/shopify/webhooks: every topic of every registered shop (docs/shopify.md).

Order of checks: the shop and signature headers, the size, the HMAC of the raw body, and only
then the JSON. Nothing is stored before the signature is proven; nothing from the body is
logged (ids only). The answer is sent once the delivery row is committed; applying it is a
task (orders.services.shopify).
"""

from __future__ import annotations

import hashlib
import logging
from http import HTTPStatus

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.integrations.shopify.signing import signature_valid
from orders.models import ShopifyStore
from orders.services import shopify

logger = logging.getLogger("ercdash.shopify")

# Bodies over this are refused with 413 before they are read.
MAX_BODY_BYTES = 5 * 1024 * 1024


def _answer(status: HTTPStatus) -> HttpResponse:
    response = HttpResponse(f"{status.value} {status.phrase}\n", status=status.value)
    response["Content-Type"] = "text/plain; charset=utf-8"
    response["Cache-Control"] = "no-store"
    # The browser-only middleware (CSP included) is skipped here, as for the API.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


@csrf_exempt
@require_POST
def webhooks(request: HttpRequest) -> HttpResponse:
    domain = shopify.normalize_domain(request.headers.get("X-Shopify-Shop-Domain", ""))
    signature = request.headers.get("X-Shopify-Hmac-Sha256", "").strip()
    store = ShopifyStore.objects.filter(domain=domain).first() if domain and signature else None
    if store is None:
        # The header is not trusted yet: it is not logged.
        logger.warning("Shopify webhook refused: missing headers or unknown shop")
        return _answer(HTTPStatus.UNAUTHORIZED)

    # Read at most one byte past the limit, whatever Content-Length claims, so a large body
    # is never held in memory. (request.body would apply DATA_UPLOAD_MAX_MEMORY_SIZE.)
    if _content_length(request) > MAX_BODY_BYTES:
        return _too_large(store)
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _too_large(store)

    if not signature_valid(body=body, signature=signature, secrets=store.secrets):
        logger.warning("Shopify webhook refused: bad signature (shop %s)", store.domain)
        return _answer(HTTPStatus.UNAUTHORIZED)

    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    if not isinstance(payload, dict):
        logger.warning("Shopify webhook refused: body is not a JSON object (shop %s)", store.domain)
        return _answer(HTTPStatus.BAD_REQUEST)

    topic = request.headers.get("X-Shopify-Topic", "").strip()[:100]
    # Shopify always sends one; without it the body's digest stands in, so a resent copy of
    # the same body is still recognised.
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "").strip()[:255] or (
        "sha256:" + hashlib.sha256(body).hexdigest()
    )
    delivery = shopify.delivery_receive(
        store=store, topic=topic, webhook_id=webhook_id, payload=payload
    )
    logger.info(
        "Shopify delivery %s received: shop %s, topic %s, webhook %s, %s",
        delivery.pk,
        store.domain,
        topic,
        webhook_id,
        delivery.outcome,
    )
    return _answer(HTTPStatus.OK)


def _too_large(store: ShopifyStore) -> HttpResponse:
    logger.warning(
        "Shopify webhook refused: body over %d bytes (shop %s)", MAX_BODY_BYTES, store.domain
    )
    return _answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
