"""django-oauth-toolkit: per-client scopes, and a rate limit in front of the token endpoints."""

from __future__ import annotations

import base64
import functools
import hashlib
import time
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider.scopes import SettingsScopes

from orders.lockout import client_ip
from orders.ratelimit import over_limit, parse_rate

clock = time.time


class ClientScopes(SettingsScopes):
    """Each client may ask only for its allowed scopes; asking for none grants exactly those."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return super().get_available_scopes(application, request, *args, **kwargs)
        profile = getattr(application, "profile", None)
        known = set(super().get_available_scopes())
        return [scope for scope in (profile.scopes if profile else []) if scope in known]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request, *args, **kwargs)


def rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 429 to a client over ERCDASH_TOKEN_RATE_LIMIT before DOT checks its secret.

    Each request naming a client costs a hash of the secret it sends, so without a limit
    these endpoints invite guessing and burn CPU. Every client the request names is counted
    (DOT tries the Basic credentials, then the form's), so naming a second, made-up client
    opens no fresh window; a request naming none counts against its address. Each endpoint
    has its own window: introspecting often must not lock a client out of new tokens.
    """

    @functools.wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        rate = parse_rate(settings.ERCDASH_TOKEN_RATE_LIMIT, "ERCDASH_TOKEN_RATE_LIMIT")
        if rate is not None:
            now = clock()
            endpoint = request.path_info.rstrip("/")
            retry_after = max(
                over_limit(f"oauth:{endpoint}:{_digest(requester)}", rate, now) or 0
                for requester in _requesters(request)
            )
            if retry_after:
                return _rate_limited_response(retry_after)
        return view(request, *args, **kwargs)

    return limited


def _requesters(request: HttpRequest) -> set[str]:
    named = {_basic_client_id(request), request.POST.get("client_id"), request.GET.get("client_id")}
    clients = {f"client:{client_id}" for client_id in named if client_id}
    return clients or {f"address:{client_ip(request)}"}


def _basic_client_id(request: HttpRequest) -> str | None:
    """The client id in HTTP Basic credentials, decoded the way DOT decodes it."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme != "Basic":
        return None
    try:
        decoded = base64.b64decode(credentials).decode(request.encoding or settings.DEFAULT_CHARSET)
    except ValueError:  # not base64, or not text
        return None
    client_id, colon, _ = decoded.partition(":")
    return unquote_plus(client_id) if colon else None


def _digest(requester: str) -> str:
    # Client ids are whatever the request claims: a digest makes any of them a short, safe key.
    return hashlib.sha256(requester.encode()).hexdigest()[:32]


def _rate_limited_response(retry_after: int) -> JsonResponse:
    # RFC 6749's error shape, as every other answer of the token endpoint.
    response = JsonResponse(
        {
            "error": "rate_limited",
            "error_description": "Too many requests for this client; retry after the delay "
            "given in Retry-After.",
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
