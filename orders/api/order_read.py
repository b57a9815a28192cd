"""The order read, answered without URL routing, DRF, or middleware that does nothing for it.

`GET /erc/ecommerce/customers/{customer_id}/orders/{order_id}` is the API's hot path.
OrderReadMiddleware sits right below SecurityMiddleware and answers it with the checks of
OrderDetailApi, in the same order and with the same code: the bearer token (with the order's
document read in the token's own query), the scope, the client's rate limit, the
parameters, then the order. Errors get the same bodies and headers through the API's own
exception handler, and the response the headers the skipped layers would have added: DRF's
`Allow`, `X-Frame-Options` and `Content-Length`. The layers above it (request id and access
log, the API's caching and framing headers, the security headers) run as for any request.

What it skips did nothing for these requests: whitenoise (static paths only), the
browser-only middleware, CSRF (a GET without cookies), django-axes (sign-ins), URL routing,
and DRF's request wrapping, content negotiation (always JSON) and dispatch. Everything else
takes the usual way, to OrderDetailApi: other methods (HEAD, OPTIONS, …), requests with
cookies (CSRF may answer with one), a Host that ALLOWED_HOSTS refuses, reads routed to a
replica. tests/test_order_read.py holds both ways to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import APIException, Throttled

from orders import selectors
from orders.api import errors, views
from orders.api.auth import NOT_PREFETCHED, TokenPrefetch, bearer_client, check_scope
from orders.api.middleware import API_PREFIX, crash_response
from orders.api.throttling import client_over_limit
from orders.api.urls import ORDER

# The route of OrderDetailApi (orders/api/urls.py), matched as Django's resolver matches it.
ORDER_READ_PATH = re.compile(rf"{API_PREFIX}/{ORDER}/?")
T = TypeVar("T")


def order_read(request: HttpRequest, customer_id: str, order_id: str) -> HttpResponse:
    """OrderDetailApi's GET: authenticate, check scope and rate, validate, read."""
    problems = views.query_problems(request) + views.id_problems(
        {"customer_id": customer_id, "order_id": order_id}, ("customer_id", "order_id")
    )
    prefetch = None
    if not problems:
        sql, params = selectors.order_document_query(
            customer_id=customer_id, order_id=order_id, brand=views.brand_param(request)
        )
        prefetch = TokenPrefetch(sql, tuple(params))
    found = checked_on_failure(lambda: bearer_client(request, prefetch))
    client, document = found if found is not None else (None, NOT_PREFETCHED)
    check_scope(client, views.OrderDetailApi.required_scope)
    retry_after = client_over_limit(client)
    if retry_after is not None:
        raise Throttled(retry_after)
    if problems:
        raise errors.InvalidParameters(problems)
    return views.order_response(
        request,
        customer_id=customer_id,
        order_id=order_id,
        brands=client.brands,
        document=document,
    )


def checked_on_failure(read: Callable[[], T]) -> T:
    """Run the request's first query without Django's health check before it, checking the
    connection only if the query fails.

    With CONN_HEALTH_CHECKS Django runs `SELECT 1` before a request's first query on a
    reused connection: a round trip on every read, only to find the rare connection that
    died since the last request. Here the read itself finds it: when it fails on a
    connection that turns out unusable (a database restart, a connection dropped by the
    network), the connection is replaced and the read runs again, as the health check would
    have made it. A read that fails on a working connection fails as before. Only for
    reads: running a read twice changes nothing.
    """
    if (
        connection.connection is None
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
    ):
        return read()
    connection.health_check_done = True
    try:
        return read()
    except (OperationalError, InterfaceError):
        if connection.is_usable():
            raise
    connection.close()
    return read()


class OrderReadMiddleware:
    """Answers the order read (module docstring); passes every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        # With these, CommonMiddleware answers some requests itself: keep it in the way.
        if settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS:
            raise MiddlewareNotUsed
        self.get_response = get_response
        view = views.OrderDetailApi()
        view.setup(HttpRequest())
        self.allow = ", ".join(view.allowed_methods)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = ORDER_READ_PATH.fullmatch(request.path_info) if request.method == "GET" else None
        if (
            match is None
            or request.META.get("HTTP_COOKIE")
            or not host_allowed(request)
            or not selectors.order_reads_use_default_database()
        ):
            return self.get_response(request)
        try:
            response = order_read(request, **match.groupdict())
        except APIException as exc:
            response = errors.api_exception_handler(exc, {"request": request})
        except Exception as exc:
            # DRF lets these through to ApiErrorMiddleware.process_exception: no Allow.
            return self.finish(crash_response(request, exc))
        response["Allow"] = self.allow  # DRF's finalize_response
        return self.finish(response)

    def finish(self, response: HttpResponse) -> HttpResponse:
        """What XFrameOptionsMiddleware and CommonMiddleware add on the usual way."""
        if not response.has_header("X-Frame-Options"):
            response["X-Frame-Options"] = settings.X_FRAME_OPTIONS.upper()
        if not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


def host_allowed(request: HttpRequest) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return False  # CommonMiddleware raises it, and the API answers its 400
    return True
