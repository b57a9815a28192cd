"""python manage.py create_api_client NAME --scopes "…:read" [--brands "A,B"]"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders import services


class Command(BaseCommand):
    help = (
        "Create an OAuth2 client-credentials API client and print its id and secret as JSON "
        "(the secret is stored hashed and shown only this once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="A name for the client, e.g. the integration using it.")
        parser.add_argument(
            "--scopes",
            default=settings.SCOPE_READ,
            help="Allowed scopes, space- or comma-separated (default: %(default)s).",
        )
        parser.add_argument(
            "--brands",
            default="",
            help="Limit the client to these brands, comma-separated (default: every brand).",
        )

    def handle(self, *args, name: str, scopes: str, brands: str, **options) -> None:
        if not name.strip():
            raise CommandError("NAME must not be empty.")
        requested = [scope for scope in re.split(r"[\s,]+", scopes) if scope]
        if not requested:
            known = ", ".join(settings.OAUTH2_PROVIDER["SCOPES"])
            raise CommandError(f"Give at least one scope. Known scopes: {known}.")
        try:
            services.canonical_scopes(requested)
        except services.UnknownScopes as exc:
            raise CommandError(str(exc)) from None
        try:
            allowed_brands = services.parse_brands(brands)
        except ValidationError as exc:
            raise CommandError(f"--brands: {exc.messages[0]}") from None
        if brands.strip() and not allowed_brands:
            raise CommandError("--brands names no brand; leave it out for every brand.")

        application, secret = services.client_create(
            name=name.strip(), scopes=requested, brands=allowed_brands
        )
        printed = {
            "client_id": application.client_id,
            "client_secret": secret,
            "scopes": application.profile.scopes,
        }
        if allowed_brands:
            printed["brands"] = allowed_brands
        self.stdout.write(json.dumps(printed))
