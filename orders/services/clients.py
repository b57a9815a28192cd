"""OAuth API clients: created, re-scoped and given new secrets the same way by every face."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import get_application_model

from orders.models import ApiClientProfile

Application = get_application_model()


class UnknownScopes(ValueError):
    """Scopes that the server does not define; the message lists them and the known ones."""


def scopes_canonical(requested: Iterable[str]) -> list[str]:
    """The requested scopes in the server's own order; UnknownScopes for any other name."""
    known = list(settings.OAUTH2_PROVIDER["SCOPES"])
    wanted = set(requested)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise UnknownScopes(
            f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(known)}."
        )
    return [scope for scope in known if scope in wanted]


@transaction.atomic
def api_client_create(
    *, name: str, scopes: Iterable[str], application: Any | None = None
) -> tuple[Any, str]:
    """A confidential client-credentials client and its plaintext secret (shown once).

    `application` is an unsaved instance to fill in (the admin's form instance), else a new one.
    """
    secret = generate_client_secret()
    application = application or Application()
    application.name = name.strip()
    application.client_id = generate_client_id()
    application.client_type = Application.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
    application.client_secret = secret  # hashed by Application.save()
    application.hash_client_secret = True
    application.save()
    api_client_set_scopes(application=application, scopes=scopes)
    return application, secret


def api_client_set_scopes(*, application: Any, scopes: Iterable[str]) -> list[str]:
    """Store the scopes this client may ask for; returns them in canonical order."""
    allowed = scopes_canonical(scopes)
    ApiClientProfile.objects.update_or_create(
        application=application, defaults={"allowed_scopes": " ".join(allowed)}
    )
    return allowed


def api_client_rotate_secret(*, application: Any) -> str:
    """Give the client a new secret (the old one stops working); returns it in plaintext."""
    secret = generate_client_secret()
    application.client_secret = secret
    application.hash_client_secret = True
    application.save(update_fields=["client_secret", "updated"])
    return secret
