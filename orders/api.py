"""ERC e-commerce API views: one class per operation; validate -> select -> serialize."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from orders import errors, selectors, serializers, services
from orders.models import AccessAudit, CancelReason
from orders.renderers import dumps
from orders.validators import ID_RE

MAX_QUERY_VALUE = 256
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON whatever Accept says; a 406 would only confuse integrators."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ErcApiView(APIView):
    """Authenticate first, then validate the query and the path ids, then the operation."""

    required_scope = settings.SCOPE_READ
    content_negotiation_class = JsonOnlyNegotiation
    # Path parameters that are ERC ids, validated before any lookup.
    id_kwargs: tuple[str, ...] = ("customer_id", "order_id")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method == "OPTIONS":
            return  # pre-flight requests carry no credentials
        super().initial(request, *args, **kwargs)
        bad = query_problems(request) + [
            (name, "Must be 1-128 characters from A-Z a-z 0-9 . _ ~ : @ -")
            for name in self.id_kwargs
            if name in kwargs and not ID_RE.match(kwargs[name])
        ]
        if bad:
            raise errors.InvalidParameters(bad)

    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(status=204, headers={"Allow": ", ".join(self.allowed_methods)})
        del response["Content-Type"]  # a 204 has no body to describe
        return response


def query_problems(request: Request) -> list[tuple[str, str]]:
    problems = []
    for name, values in request.query_params.lists():
        for value in values:
            if "\x00" in value or "\x00" in name:
                problems.append((name.replace("\x00", ""), "Must not contain NUL bytes."))
                break
            if len(value) > MAX_QUERY_VALUE:
                problems.append((name, f"Must be at most {MAX_QUERY_VALUE} characters."))
                break
    return problems


def brand_param(request: Request) -> str:
    return request.query_params.get("brand", "")


def absolute_url(request: HttpRequest, path: str, query: dict[str, str] | None = None) -> str:
    """Absolute URL on this server; ERCDASH_PUBLIC_BASE_URL wins behind a proxy."""
    query_string = urlencode({k: v for k, v in (query or {}).items() if v})
    suffix = f"{path}?{query_string}" if query_string else path
    base = settings.ERCDASH_PUBLIC_BASE_URL
    return f"{base}{suffix}" if base else request.build_absolute_uri(suffix)


def json_response(request: HttpRequest, body: Any, *, etag: bool = False) -> HttpResponse:
    content = dumps(body)
    if not etag:
        return HttpResponse(content, content_type="application/json")
    return etag_response(request, content)


def etag_response(request: HttpRequest, content: bytes) -> HttpResponse:
    """A JSON response with a strong ETag; 304 when If-None-Match already has it."""
    tag = '"' + hashlib.sha256(content).hexdigest()[:40] + '"'
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
    if if_none_match and (
        if_none_match.strip() == "*"
        or tag in [candidate.strip() for candidate in if_none_match.split(",")]
    ):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="application/json")
    response["ETag"] = tag
    return response


def order_path(customer_id: str, order_id: str) -> str:
    return f"/erc/ecommerce/customers/{customer_id}/orders/{order_id}"


class OrderDetailApi(ErcApiView):
    def get(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        brand = brand_param(request)
        document = selectors.order_document_get(
            customer_id=customer_id, order_id=order_id, brand=brand
        )
        if document is None:
            raise errors.order_not_found(order_id)
        href = absolute_url(request, order_path(customer_id, order_id), {"brand": brand})
        if not document:  # stored before documents existed: render it the slow way
            order = selectors.order_get(customer_id=customer_id, order_id=order_id, brand=brand)
            document = services.render_document(order)
        return etag_response(request, with_self_link(document.encode(), href))


def with_self_link(document: bytes, href: str) -> bytes:
    """Append _links to a stored JSON object without parsing it again."""
    return document[:-1] + b',"_links":{"self":{"href":' + dumps(href) + b"}}}"


def cancel_reasons() -> list[dict[str, str]]:
    return [{"value": value, "label": str(label)} for value, label in CancelReason.choices]


class OrderCancelPreviewApi(ErcApiView):
    def get(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        brand = brand_param(request)
        order = selectors.order_get(customer_id=customer_id, order_id=order_id, brand=brand)
        if order is None:
            raise errors.order_not_found(order_id)
        path = order_path(customer_id, order_id)
        links = {
            "self": {"href": absolute_url(request, path + "/cancel-preview", {"brand": brand})}
        }
        if order.is_cancellable:
            links["cancel"] = {"href": absolute_url(request, path + "/cancel", {"brand": brand})}
        body = {
            "is_cancellable": order.is_cancellable,
            "cancel_reasons": cancel_reasons() if order.is_cancellable else [],
            "_links": links,
        }
        return json_response(request, body)


class OrderCancelApi(ErcApiView):
    required_scope = settings.SCOPE_WRITE

    def post(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        client = request.user
        key = idempotency_key(request)
        path = order_path(customer_id, order_id) + "/cancel"
        if key:
            stored = selectors.idempotency_get(client_id=client.client_id, key=key)
            if stored is not None:
                return replay(stored, path)
        reason = cancel_reason_param(request)
        brand = brand_param(request)
        order = selectors.order_get(customer_id=customer_id, order_id=order_id, brand=brand)
        if order is None:
            raise errors.order_not_found(order_id)
        try:
            order = services.order_cancel(
                order=order,
                reason=reason,
                actor=client.actor,
                channel=AccessAudit.Channel.API,
                request_id=getattr(request._request, "request_id", ""),
            )
        except errors.NotCancellable as exc:
            response = errors.api_exception_handler(exc, {"request": request, "view": self})
        else:
            href = absolute_url(request, order_path(customer_id, order_id), {"brand": brand})
            response = json_response(request, serializers.order_body(order, self_href=href))
        if key:
            # The first answer is kept; a concurrent retry that lost the race replays it.
            stored = services.idempotent_response(
                client_id=client.client_id,
                key=key,
                method="POST",
                path=path,
                status=response.status_code,
                body=response.content,
            )
            return replay(stored, path)
        return response


def idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if key and not IDEMPOTENCY_KEY_RE.match(key):
        raise errors.InvalidParameters(
            [("Idempotency-Key", "Must be 1-255 visible ASCII characters.")]
        )
    return key


def replay(stored, path: str) -> HttpResponse:
    if stored.path != path:
        raise errors.InvalidParameters(
            [("Idempotency-Key", "This key was already used for a different request.")]
        )
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type="application/json"
    )
    response["Idempotent-Replayed"] = "true"
    return response


def cancel_reason_param(request: Request) -> str:
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType):
        data = None
    reason = data.get("cancel_reason") if isinstance(data, dict) else None
    if reason not in CancelReason.values:
        allowed = ", ".join(CancelReason.values)
        raise errors.InvalidParameters(
            [("cancel_reason", f"Required; one of {allowed}.")],
        )
    return reason


def unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /erc/ecommerce that no route serves: the JSON 404, no auth needed."""
    return errors.generic_error_response(404)
