"""The order read, answered without URL routing, DRF, or middleware that does nothing for it.

`GET /erc/ecommerce/customers/{customer_id}/orders/{order_id}` is the API's hot path.
OrderReadMiddleware sits right below the request id, access log and health probes, and
answers it with the checks of OrderDetailApi, in the same order and with the same code: the
bearer token (with the order's document read in the token's own query), the scope, the
client's rate limit, the parameters, then the order. Errors get the same bodies and headers
through the API's own exception handler, and every answer the headers the layers it skips
would have added: DRF's `Allow`, `X-Frame-Options`, `Content-Length`, and the security and
API headers, worked out once from SecurityMiddleware and ApiErrorMiddleware themselves. The
TLS redirect is left to SecurityMiddleware.

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
from types import SimpleNamespace
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware
from rest_framework.exceptions import APIException, Throttled

from orders import selectors
from orders.api import errors, views
from orders.api.auth import NOT_PREFETCHED, TokenPrefetch, bearer_client, check_scope
from orders.api.middleware import API_PREFIX, api_headers, crash_response
from orders.api.throttling import client_over_limit
from orders.api.urls import ORDER

# The route of OrderDetailApi (orders/api/urls.py), matched as Django's resolver matches it.
ORDER_READ_PATH = re.compile(rf"{API_PREFIX}/{ORDER}/?")
T = TypeVar("T")


def order_read(request: HttpRequest, customer_id: str, order_id: str, host: str) -> HttpResponse:
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
        host=host,
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
    database = connections[DEFAULT_DB_ALIAS]
    if (
        database.connection is None
        or not database.health_check_enabled
        or database.health_check_done
        or database.in_atomic_block
    ):
        return read()
    database.health_check_done = True
    try:
        return read()
    except (OperationalError, InterfaceError):
        if database.is_usable():
            raise
    database.close()
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
        self.x_frame_options = settings.X_FRAME_OPTIONS.upper()
        self.security = SecurityMiddleware(get_response)
        self.tail = {secure: tail_headers(self.security, secure) for secure in (False, True)}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = ORDER_READ_PATH.fullmatch(request.path_info) if request.method == "GET" else None
        if (
            match is None
            or request.META.get("HTTP_COOKIE")
            # The TLS redirect, answered the usual way.
            or self.security.process_request(request) is not None
            or (host := allowed_host(request)) is None
            or not selectors.order_reads_use_default_database()
        ):
            return self.get_response(request)
        try:
            response = order_read(request, host=host, **match.groupdict())
        except APIException as exc:
            response = errors.api_exception_handler(exc, {"request": request})
        except Exception as exc:
            # DRF lets these through to ApiErrorMiddleware.process_exception: no Allow.
            return self.finish(request, crash_response(request, exc))
        response["Allow"] = self.allow  # DRF's finalize_response
        return self.finish(request, response)

    def finish(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """The headers of XFrameOptionsMiddleware and CommonMiddleware, then of
        SecurityMiddleware and ApiErrorMiddleware, as the usual way adds them."""
        if not response.has_header("X-Frame-Options"):
            response["X-Frame-Options"] = self.x_frame_options
        if not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        for name, value in self.tail[request.is_secure()]:
            response[name] = value
        return response


def tail_headers(security: SecurityMiddleware, secure: bool) -> list[tuple[str, str]]:
    """What SecurityMiddleware, then ApiErrorMiddleware, add to a JSON answer of this path
    over HTTP(S), in order: constants of the settings, worked out once by the real thing.
    Answers of this path carry none of them before, but Cache-Control and X-Frame-Options
    with the same values."""
    response = HttpResponse(content_type="application/json")
    security.process_response(SimpleNamespace(is_secure=lambda: secure), response)
    api_headers(response)
    return [(name, value) for name, value in response.items() if name != "Content-Type"]


def allowed_host(request: HttpRequest) -> str | None:
    try:
        return request.get_host()
    except DisallowedHost:
        return None  # CommonMiddleware raises it, and the API answers its 400
