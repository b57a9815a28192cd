"""python manage.py create_api_client NAME --scopes "erc-ecommerce-customers:read" """

from __future__ import annotations

import json
import re

from django.conf import settings
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

    def handle(self, *args, name: str, scopes: str, **options) -> None:
        if not name.strip():
            raise CommandError("NAME must not be empty.")
        requested = [scope for scope in re.split(r"[\s,]+", scopes) if scope]
        known = ", ".join(settings.OAUTH2_PROVIDER["SCOPES"])
        if not requested:
            raise CommandError(f"Give at least one scope. Known scopes: {known}.")
        try:
            allowed = services.scopes_canonical(requested)
        except services.UnknownScopes as exc:
            raise CommandError(str(exc)) from exc
        application, secret = services.api_client_create(name=name, scopes=allowed)
        self.stdout.write(
            json.dumps(
                {"client_id": application.client_id, "client_secret": secret, "scopes": allowed}
            )
        )
