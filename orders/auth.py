"""Bearer-token authentication and scope checks for the ERC API.

django-oauth-toolkit issues the tokens; this module only reads them. It looks a token up by
its SHA-256 checksum (the way DOT stores it with COMPLIANT_BCP_RFC9700_TOKEN_STORAGE), checks
expiry and scope in code, and answers with the exact ERC 401/403 challenges. The lookup hits
the database on every request, so a revoked (deleted) token is refused at once everywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from orders import errors

AccessToken = get_access_token_model()


@dataclass(frozen=True)
class ApiClient:
    """The caller of an API request: an OAuth client, never a person."""

    client_id: str
    application_id: int
    scopes: frozenset[str]

    is_authenticated = True
    is_anonymous = False

    @property
    def actor(self) -> str:
        return f"client:{self.client_id}"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        # RFC 6750 allows tokens in the query or form body; we refuse them before any lookup,
        # since URLs end up in logs and proxies.
        if "access_token" in request._request.GET or "access_token" in request._request.POST:
            raise errors.InvalidToken("Send the access token in the Authorization header only.")
        header = request._request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw or len(raw) > 512:
            raise errors.InvalidToken("Send an Authorization: Bearer <token> header.")
        row = token_lookup(hashlib.sha256(raw.encode("utf-8")).hexdigest())
        if row is None:
            raise errors.InvalidToken("The access token is unknown, expired or revoked.")
        scope, application_id, client_id = row
        client = ApiClient(
            client_id=client_id or "",
            application_id=application_id or 0,
            scopes=frozenset(scope.split()),
        )
        request._request.api_client = client
        return client, client

    def authenticate_header(self, request) -> str:
        return errors.AUTH_CHALLENGE


@cache
def _token_sql() -> str:
    quote = connection.ops.quote_name
    token_table = quote(AccessToken._meta.db_table)
    application_table = quote(
        AccessToken._meta.get_field("application").related_model._meta.db_table
    )
    return (
        f"SELECT t.{quote('scope')}, t.{quote('application_id')}, a.{quote('client_id')}"
        f" FROM {token_table} t LEFT JOIN {application_table} a"
        f" ON a.{quote('id')} = t.{quote('application_id')}"
        f" WHERE t.{quote('token_checksum')} = %s AND t.{quote('expires')} > %s"
    )


def token_lookup(checksum: str) -> tuple[str, int | None, str | None] | None:
    """(scope, application id, client id) of a live token, by checksum; None otherwise.

    Hand-written: on the hot path of every API call the ORM's query compilation costs more
    than the indexed lookup itself.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(), [checksum, now])
        return cursor.fetchone()


class HasScope(BasePermission):
    """Allows a request whose token carries the view's `required_scope`."""

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            raise errors.Unauthorized("Send an OAuth2 Bearer access token.")
        scope = view.required_scope
        if scope not in client.scopes:
            raise errors.InsufficientScope(scope)
        return True
