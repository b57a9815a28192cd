"""Admin for OAuth API clients and their access tokens, in place of DOT's own admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    revoke_access_token,
)

from orders import services
from orders.admin import forms

Application = get_application_model()
AccessToken = get_access_token_model()

for model in (
    Application,
    AccessToken,
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
):
    # DOT's own admin shows redirect URIs, grant types and token rows we do not use; the
    # API only issues client-credentials access tokens, managed below.
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ApiClientAdmin(admin.ModelAdmin):
    form = forms.ApiClientForm
    list_display = ["name", "client_id", "allowed_scopes", "allowed_brands", "created"]
    list_select_related = ["profile"]
    search_fields = ["name", "=client_id"]
    actions = ["rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["name", "scopes", "brands"]
        return ["name", "client_id", "scopes", "brands", "created", "updated"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["client_id", "created", "updated"] if obj else []

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
        )

    @admin.display(description="allowed scopes")
    def allowed_scopes(self, application: Any) -> str:
        profile = getattr(application, "profile", None)
        return profile.allowed_scopes if profile else "—"

    @admin.display(description="brands")
    def allowed_brands(self, application: Any) -> str:
        profile = getattr(application, "profile", None)
        return ", ".join(profile.brands) if profile and profile.brands else "every brand"

    def save_model(self, request: HttpRequest, obj: Any, form, change: bool) -> None:
        scopes, brands = form.cleaned_data["scopes"], form.cleaned_data["brands"]
        if not change:
            # The same service as create_api_client; the plaintext is shown once, then gone.
            _, request._ercdash_client_secret = services.client_create(
                name=obj.name, scopes=scopes, brands=brands, application=obj
            )
            return
        super().save_model(request, obj, form, change)
        revoked = services.client_scopes_set(application=obj, scopes=scopes)
        services.client_brands_set(application=obj, brands=brands)
        if revoked:
            self.message_user(
                request,
                f"Scopes narrowed: revoked {revoked} live token{'s' if revoked != 1 else ''} "
                "of this client.",
                messages.WARNING,
            )

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue=None):
        secret = getattr(request, "_ercdash_client_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, obj, secret, created=True)

    def _secret_page(self, request: HttpRequest, obj: Any, secret: str, *, created: bool):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API client created" if created else "New client secret",
            "application": obj,
            "client_secret": secret,
            "created": created,
        }
        response = TemplateResponse(request, "admin/orders/api_client_secret.html", context)
        # The plaintext secret lives only in this response: keep it out of every cache.
        response["Cache-Control"] = "no-store"
        return response

    # A new secret is shown on the page and yields tokens with every allowed scope: changing
    # the client is what it amounts to, so viewing clients is not enough.
    @admin.action(
        description="Generate a new secret (the old one and its tokens stop working)",
        permissions=["change"],
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one client to rotate.", messages.ERROR)
            return None
        application = queryset.get()
        secret = services.client_secret_rotate(application=application)
        return self._secret_page(request, application, secret, created=False)


admin.site.register(Application, ApiClientAdmin)


class AccessTokenAdmin(admin.ModelAdmin):
    # Tokens are stored as checksums and must never be shown or searchable: only who holds
    # them, what they allow and when they expire.
    list_display = ["__str__", "application", "scope", "expires", "created"]
    list_select_related = ["application"]
    list_filter = ["application"]
    search_fields = ["application__name", "=application__client_id"]
    fields = ["application", "scope", "expires", "created"]
    readonly_fields = fields
    actions = ["revoke_tokens"]
    date_hierarchy = "expires"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # ?token=… or ?token_checksum=… in the URL would make the list an oracle for
        # guessed tokens (and put a live token into access logs).
        if lookup.split("__")[0] in {"token", "token_checksum", "id_token"}:
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("oauth2_provider.delete_accesstoken")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for token in queryset:
            revoke_access_token(token)
            count += 1
        self.message_user(request, f"Revoked {count} token{'s' if count != 1 else ''}.")


admin.site.register(AccessToken, AccessTokenAdmin)
