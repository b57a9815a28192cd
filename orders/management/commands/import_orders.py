"""python manage.py import_orders PATH|- [--dry-run]"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders import documents, services


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
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            records = documents.parse(data)
        except documents.FileNotJson as exc:
            raise CommandError(str(exc)) from exc

        result = services.orders_import(documents=records, dry_run=dry_run)
        for error in result.errors:
            line = {"record": error.record, "field": error.field, "description": error.description}
            self.stderr.write(json.dumps(line, ensure_ascii=False), style_func=lambda text: text)
        self.stdout.write(json.dumps(result.summary()))
        if result.rejected:
            sys.exit(1)
