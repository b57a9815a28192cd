"""python manage.py create_api_client NAME --scopes "erc-ecommerce-customers:read" """

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import Application

from orders.models import ApiClientProfile


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
        known = list(settings.OAUTH2_PROVIDER["SCOPES"])
        requested = list(dict.fromkeys(s for s in re.split(r"[\s,]+", scopes) if s))
        unknown = [scope for scope in requested if scope not in known]
        if unknown:
            raise CommandError(
                f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(known)}."
            )
        if not requested:
            raise CommandError(f"Give at least one scope. Known scopes: {', '.join(known)}.")
        allowed = [scope for scope in known if scope in requested]  # canonical order

        secret = generate_client_secret()
        with transaction.atomic():
            application = Application(
                name=name.strip(),
                client_id=generate_client_id(),
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
                client_secret=secret,  # hashed by Application.save()
            )
            application.save()
            ApiClientProfile.objects.create(
                application=application, allowed_scopes=" ".join(allowed)
            )
        self.stdout.write(
            json.dumps(
                {"client_id": application.client_id, "client_secret": secret, "scopes": allowed}
            )
        )
