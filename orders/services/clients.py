"""API clients: secrets, allowed scopes and brands. Taking a scope away revokes the tokens
holding it; brands are read on every request, so a change applies at once."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_refresh_token_model,
)

from orders.models import ApiClientProfile

Application = get_application_model()


class UnknownScopes(ValueError):
    """Scopes that the server does not define; the message lists them and the known ones."""


def canonical_scopes(scopes: list[str] | set[str]) -> list[str]:
    """The scopes in the settings' order; UnknownScopes for a name the server does not define."""
    known = list(settings.OAUTH2_PROVIDER["SCOPES"])
    unknown = sorted(set(scopes) - set(known))
    if unknown:
        raise UnknownScopes(
            f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(known)}."
        )
    chosen = set(scopes)
    return [name for name in known if name in chosen]


MAX_BRAND_LENGTH = 128  # Order.brand and Customer.brand


def parse_brands(text: str) -> list[str]:
    """ "Casa Lisboa, Porto Home" -> ["Casa Lisboa", "Porto Home"]; ValidationError if too long."""
    brands = list(dict.fromkeys(part.strip() for part in text.replace("\n", ",").split(",")))
    brands = [brand for brand in brands if brand]
    if any(len(brand) > MAX_BRAND_LENGTH for brand in brands):
        raise ValidationError(
            f"A brand has at most {MAX_BRAND_LENGTH} characters.", code="brand_too_long"
        )
    return brands


@transaction.atomic
def client_create(
    *,
    name: str,
    scopes: list[str],
    brands: list[str] = (),
    application: Application | None = None,
) -> tuple[Application, str]:
    """A client-credentials API client and its secret in plain text (stored hashed).

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
    ApiClientProfile.objects.create(
        application=application,
        allowed_scopes=" ".join(canonical_scopes(scopes)),
        allowed_brands="\n".join(brands),
    )
    return application, secret


def client_brands_set(*, application: Application, brands: list[str]) -> None:
    """Limit the client to these brands (none: every brand), from its next request on."""
    ApiClientProfile.objects.update_or_create(
        application=application, defaults={"allowed_brands": "\n".join(brands)}
    )


@transaction.atomic
def client_tokens_revoke(*, application: Application) -> int:
    """Delete every token issued to the client; the API refuses them on the next request."""
    get_refresh_token_model().objects.filter(application=application).delete()
    revoked, _ = get_access_token_model().objects.filter(application=application).delete()
    return revoked


@transaction.atomic
def client_secret_rotate(*, application: Application) -> str:
    """A new secret for the client (returned in plain text, stored hashed); old tokens revoked.

    A rotation answers a leaked or suspected secret: tokens obtained with the old one must
    stop working too, not only the secret.
    """
    secret = generate_client_secret()
    application.client_secret = secret
    application.hash_client_secret = True
    application.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    client_tokens_revoke(application=application)
    return secret


@transaction.atomic
def client_scopes_set(*, application: Application, scopes: list[str]) -> int:
    """Store the client's allowed scopes; returns how many tokens were revoked by narrowing.

    Tokens carry the scopes they were issued with, so a removed scope would otherwise stay
    usable until they expire.
    """
    allowed = canonical_scopes(scopes)
    profile = ApiClientProfile.objects.filter(application=application).first()
    before = set(profile.scopes) if profile else set()
    ApiClientProfile.objects.update_or_create(
        application=application, defaults={"allowed_scopes": " ".join(allowed)}
    )
    if before - set(allowed):
        return client_tokens_revoke(application=application)
    return 0
