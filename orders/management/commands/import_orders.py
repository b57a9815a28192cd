"""python manage.py import_orders PATH|- [--dry-run]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders import documents, services
from orders.management.inputs import input_stream
from orders.management.reporting import import_result_write
from orders.services.transactions import redoable_writes


class Command(BaseCommand):
    help = (
        "Import order documents from a JSON array or JSON Lines file ('-' reads stdin). "
        "Prints one JSON summary line on stdout and one JSON line per problem on stderr; "
        "exits 1 when any record is rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="File of order documents, or - for standard input.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count, but write nothing."
        )

    def handle(self, *args, path: str, dry_run: bool, **options) -> None:
        with input_stream(path) as stream:
            try:
                records = documents.read(stream)
            except documents.FileNotJson as exc:
                raise CommandError(str(exc)) from exc
            with redoable_writes():  # a file can be imported again
                result = services.orders_import(documents=records, dry_run=dry_run, parallel=True)
        import_result_write(self, result)
