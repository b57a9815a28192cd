"""django-oauth-toolkit: each client may have only its own allowed scopes."""

from __future__ import annotations

from oauth2_provider.scopes import SettingsScopes


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
