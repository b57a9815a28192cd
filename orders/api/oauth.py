"""django-oauth-toolkit, tightened: per-client scopes, the limiter told which client
authenticated, body-only parameters, and introspection of a client's own tokens only."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes
from oauthlib.common import Request as OauthlibRequest

AccessToken = get_access_token_model()

# The client id whose secret the current request proved (api.throttling.rate_limited sets
# and reads it around each OAuth endpoint call); None when none did.
authenticated_client: ContextVar[str | None] = ContextVar("authenticated_client", default=None)


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


class ClientValidator(OAuth2Validator):
    """DOT's validator, telling the limiter which client authenticated.

    A request may name two clients (HTTP Basic and form fields); only the one whose secret
    matched may have its success counted, or naming a client would spend its allowance.
    """

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        authenticated = super().authenticate_client(request, *args, **kwargs)
        if authenticated:
            authenticated_client.set(request.client.client_id)
        return authenticated


def body_parameters_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse an OAuth endpoint request that carries parameters in its query string.

    oauthlib reads the query string as well as the form body, so a client secret or a token
    there would work, and URLs end up in proxy and access logs (RFC 6749 section 2.3.1: client
    credentials MUST NOT be in the request URI).
    """

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.META.get("QUERY_STRING"):
            return oauth_error(
                400, "invalid_request", "Send the parameters in the form body, not in the URL."
            )
        return view(request, *args, **kwargs)

    return checked


def oauth_error(status: int, error: str, description: str) -> JsonResponse:
    """RFC 6749's error body, as every answer of the OAuth endpoints."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def introspect(request: HttpRequest) -> HttpResponse:
    """RFC 7662 for the calling client's own tokens: any other token is {"active": false}.

    DOT's view describes every token to every authenticated client, and also answers GET.
    """
    core = get_oauthlib_core()
    oauth_request = OauthlibRequest(
        request.build_absolute_uri(),
        request.method,
        urlencode(list(request.POST.items())),
        core.extract_headers(request),
    )
    if not core.server.request_validator.authenticate_client(oauth_request):
        return oauth_error(401, "invalid_client", "Client authentication failed.")
    value = request.POST.get("token", "")
    if not value:
        return oauth_error(400, "invalid_request", "The token parameter is missing.")
    token = (
        AccessToken.objects.filter(
            token_checksum=hashlib.sha256(value.encode()).hexdigest(),
            application=oauth_request.client,
        )
        .select_related("application")
        .first()
    )
    if token is None or not token.is_valid():
        body: dict[str, object] = {"active": False}
    else:
        body = {
            "active": True,
            "scope": token.scope,
            "exp": int(token.expires.timestamp()),
            "client_id": token.application.client_id,
            "token_type": "Bearer",
        }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response
