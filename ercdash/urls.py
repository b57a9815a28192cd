from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from oauth2_provider import views as oauth2_views

from ercdash import health
from orders.api import oauth
from orders.api import views as api
from orders.api.oauth import body_parameters_only
from orders.api.throttling import rate_limited
from orders.console import views
from orders.integrations.shopify import views as shopify

urlpatterns = [
    path("erc/ecommerce/", include("orders.api.urls")),
    re_path(r"^erc/ecommerce$", api.unknown_path),
    # Only the token endpoints: DOT's application-registration views stay unmounted. Their
    # parameters come from the form body only, never from the URL.
    re_path(
        r"^oauth/token/?$",
        body_parameters_only(rate_limited(oauth2_views.TokenView.as_view())),
        name="oauth-token",
    ),
    re_path(
        r"^oauth/revoke/?$",
        body_parameters_only(rate_limited(oauth2_views.RevokeTokenView.as_view())),
        name="oauth-revoke",
    ),
    re_path(
        r"^oauth/introspect/?$",
        body_parameters_only(rate_limited(oauth.introspect)),
        name="oauth-introspect",
    ),
    # Shopify's signed webhooks (every topic, every registered shop).
    re_path(r"^integrations/shopify/webhooks/?$", shopify.webhooks, name="shopify-webhooks"),
    path("admin/", admin.site.urls),
    # Sign in and out only: no password reset (it would mail sign-in links to whoever
    # controls an address) and no self-service password change; admins set passwords.
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("agent/", include("orders.console.urls")),
    # HealthProbeMiddleware answers these before Host checks; routed too, for reverse().
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", views.favicon),
]
