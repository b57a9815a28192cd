"""python manage.py import_shopify_orders PATH|- --store DOMAIN [--dry-run]"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders import documents
from orders.management.inputs import input_stream
from orders.management.reporting import import_result_write
from orders.models import ShopifyStore
from orders.services import shopify
from orders.services.transactions import redoable_writes


class Command(BaseCommand):
    help = (
        "Import a Shopify shop's existing orders: the REST API's orders.json "
        "({\"orders\": [...]}) or JSON Lines of order objects ('-' reads stdin), mapped like "
        "the webhooks. Prints the same JSON counts line as import_orders; exits 1 when any "
        "order is rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="orders.json or a JSON Lines file, or - for stdin.")
        parser.add_argument("--store", required=True, help="The registered shop's domain.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count, but write nothing."
        )

    def handle(self, *args, path: str, store: str, dry_run: bool, **options) -> None:
        shop = ShopifyStore.objects.filter(domain=shopify.normalize_domain(store)).first()
        if shop is None:
            raise CommandError(
                f"No Shopify store {store!r} is registered (manage.py add_shopify_store)."
            )
        with input_stream(path) as stream:
            try:
                records = documents.read(stream)
            except documents.FileNotJson as exc:
                raise CommandError(str(exc)) from exc
            with redoable_writes():  # a file can be imported again
                result = shopify.shopify_orders_import(
                    store=shop, records=_orders(records), dry_run=dry_run, parallel=True
                )
        import_result_write(self, result)


def _orders(records: Iterator[documents.RawRecord]) -> Iterator[documents.RawRecord]:
    """The orders of the input: JSON Lines records as they are read, or the list of a REST
    orders.json (one JSON object, read whole)."""
    first = next(records, None)
    if first is None:
        return iter(())
    second = next(records, None)
    if second is None and isinstance(first.value, dict):
        listed = first.value.get("orders")
        if isinstance(listed, list):
            return (documents.RawRecord(n, order) for n, order in enumerate(listed, 1))
    return chain([first], [second] if second else [], records)
