"""python manage.py add_shopify_store DOMAIN --brand NAME  (the secret on standard input)"""

from __future__ import annotations

import getpass
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from orders.services import shopify


class Command(BaseCommand):
    help = (
        "Register a Shopify shop whose webhooks ercdash accepts. The webhook signing secret is "
        "read as one line from standard input (never from the command line) and never shown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("domain", help="The shop's domain, e.g. casa-lisboa.myshopify.com.")
        parser.add_argument("--brand", required=True, help="The brand the shop's orders get.")

    def handle(self, *args, domain: str, brand: str, **options) -> None:
        if sys.stdin.isatty():
            secret = getpass.getpass("Webhook signing secret: ")
        else:
            secret = sys.stdin.readline().rstrip("\r\n")
        if not secret.strip():
            raise CommandError("Give the webhook signing secret as one line on standard input.")
        try:
            store = shopify.store_register(domain=domain, brand=brand, secret=secret)
        except shopify.InvalidStore as exc:
            raise CommandError(str(exc)) from None
        url = settings.ERCDASH_PUBLIC_BASE_URL + reverse("shopify-webhooks")
        self.stdout.write(f"Registered {store.domain} (brand {store.brand}).")
        self.stdout.write(f"Webhook URL: {url}")
        self.stdout.write("Topics: " + ", ".join(sorted(shopify.TOPICS)))
