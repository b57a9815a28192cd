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
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from orders.api import errors
from orders.models import ApiClientProfile
from orders.rules import actors

AccessToken = get_access_token_model()


@dataclass(frozen=True)
class ApiClient:
    """The caller of an API request: an OAuth client, never a person."""

    client_id: str
    application_id: int
    scopes: frozenset[str]
    # The brands the client is limited to; empty: every brand.
    brands: frozenset[str] = frozenset()

    is_authenticated = True
    is_anonymous = False

    @property
    def actor(self) -> str:
        return actors.client(self.client_id)


# What bearer_client answers as the prefetched value when there is none to use.
NOT_PREFETCHED = object()


def bearer_client(
    request: HttpRequest, prefetch: TokenPrefetch | None = None
) -> tuple[ApiClient, Any] | None:
    """The client of the request's bearer token and the value `prefetch` read with it
    (NOT_PREFETCHED if none); None when the request sends no token.

    Raises InvalidToken for a token in the query or form, a malformed header, or a token
    that is unknown, expired or revoked. Shared by DRF's authentication and the order read
    (orders.api.order_read), so both refuse the same requests the same way.
    """
    # RFC 6750 allows tokens in the query or form body; we refuse them before any lookup,
    # since URLs end up in logs and proxies.
    # Django parses a form body for POST only.
    if "access_token" in request.GET or (request.method == "POST" and _form_has_token(request)):
        raise errors.InvalidToken("Send the access token in the Authorization header only.")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw or len(raw) > 512:
        raise errors.InvalidToken("Send an Authorization: Bearer <token> header.")
    row = token_lookup(hashlib.sha256(raw.encode("utf-8")).hexdigest(), prefetch)
    if row is None:
        raise errors.InvalidToken("The access token is unknown, expired or revoked.")
    scope, application_id, client_id, allowed_brands, *prefetched = row
    brands = frozenset(ApiClientProfile.split_brands(allowed_brands or ""))
    client = ApiClient(
        client_id=client_id or "",
        application_id=application_id or 0,
        scopes=frozenset(scope.split()),
        brands=brands,
    )
    request.api_client = client
    # The prefetched read knows nothing of the client's brands: a limited client's
    # view reads the order itself, with them.
    return client, prefetched[0] if prefetch is not None and not brands else NOT_PREFETCHED


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        view = request.parser_context.get("view")
        prefetch = view.token_prefetch(request) if hasattr(view, "token_prefetch") else None
        found = bearer_client(request._request, prefetch)
        if found is None:
            return None
        client, prefetched = found
        if prefetched is not NOT_PREFETCHED:
            request.prefetched = prefetched
        return client, client

    def authenticate_header(self, request) -> str:
        return errors.AUTH_CHALLENGE


@dataclass(frozen=True)
class TokenPrefetch:
    """A scalar subquery on the default database, answered in the token's own statement.

    A view offers one (`token_prefetch`) when it knows, before authentication, the single
    value it will read: the order read then costs one round trip instead of two. Its value
    is only used after the token, its scope and the request's parameters have passed.
    """

    sql: str
    params: tuple


@cache
def _token_sql(prefetch_sql: str = "") -> str:
    """The token query, with the prefetch's subquery in its select list.

    Parameters are named (pyformat), so the statement is bound as it is: with positional
    ones Django's SQLite backend rewrites the whole statement with a regex on every call.
    """
    quote = connection.ops.quote_name
    token_table = quote(AccessToken._meta.db_table)
    application_table = quote(
        AccessToken._meta.get_field("application").related_model._meta.db_table
    )
    profile_table = quote(ApiClientProfile._meta.db_table)
    prefetch = f", ({_named(prefetch_sql, 'prefetch')})" if prefetch_sql else ""
    return (
        f"SELECT t.{quote('scope')}, t.{quote('application_id')}, a.{quote('client_id')},"
        f" p.{quote('allowed_brands')}{prefetch}"
        f" FROM {token_table} t LEFT JOIN {application_table} a"
        f" ON a.{quote('id')} = t.{quote('application_id')}"
        f" LEFT JOIN {profile_table} p ON p.{quote('application_id')} = t.{quote('application_id')}"
        f" WHERE t.{quote('token_checksum')} = %(checksum)s AND t.{quote('expires')} > %(now)s"
    )


def _named(sql: str, prefix: str) -> str:
    """sql with its %s placeholders named prefix0, prefix1, ... in order."""
    parts = sql.split("%s")
    return "".join(f"{part}%({prefix}{n})s" for n, part in enumerate(parts[:-1])) + parts[-1]


def token_lookup(checksum: str, prefetch: TokenPrefetch | None = None) -> tuple | None:
    """(scope, application id, client id, allowed brands[, prefetched value]) of a live
    token; else None.

    Hand-written: on the hot path of every API call the ORM's query compilation costs more
    than the indexed lookup itself. Always on the default database (never a replica), so a
    revoked token is refused at once.
    """
    # The connection itself, not the proxy `connection`, whose every attribute is a lookup.
    database = connections[DEFAULT_DB_ALIAS]
    params = {
        "checksum": checksum,
        "now": database.ops.adapt_datetimefield_value(timezone.now()),
    }
    if prefetch is not None:
        params.update((f"prefetch{n}", value) for n, value in enumerate(prefetch.params))
    with database.cursor() as cursor:
        cursor.execute(_token_sql(prefetch.sql if prefetch is not None else ""), params)
        return cursor.fetchone()


def _form_has_token(request) -> bool:
    try:
        return "access_token" in request.POST
    except MultiPartParserError:
        # A malformed form body (multipart without a boundary) holds no token; the view's
        # own body parsing answers it with a 4xx, not a crash.
        return False


def check_scope(client: ApiClient | None, scope: str) -> None:
    """Raises 401 without a client, 403 when its token lacks `scope`."""
    if not isinstance(client, ApiClient):
        raise errors.Unauthorized("Send an OAuth2 Bearer access token.")
    if scope not in client.scopes:
        raise errors.InsufficientScope(scope)


class HasScope(BasePermission):
    """Allows a request whose token carries the view's `required_scope`."""

    def has_permission(self, request, view) -> bool:
        check_scope(request.user, view.required_scope)
        return True
