"""django-oauth-toolkit: each client may have only its own allowed scopes; the OAuth endpoints'
limiter learns which client authenticated."""

from __future__ import annotations

from contextvars import ContextVar

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes

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
