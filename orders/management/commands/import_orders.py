"""python manage.py import_orders PATH|- [--dry-run]"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders import documents, services

SPOOL_IN_MEMORY_BYTES = 16 * 2**20


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
        with _input(path) as stream:
            try:
                records = documents.read(stream)
            except documents.FileNotJson as exc:
                raise CommandError(str(exc)) from exc
            result = services.orders_import(documents=records, dry_run=dry_run)
        for error in result.errors:
            line = {"record": error.record, "field": error.field, "description": error.description}
            self.stderr.write(json.dumps(line, ensure_ascii=False), style_func=lambda text: text)
        self.stdout.write(json.dumps(result.summary()))
        if result.rejected:
            sys.exit(1)


@contextmanager
def _input(path: str) -> Iterator[IO[bytes]]:
    """The input as a seekable file: it is checked whole before it is read record by record.
    Standard input is copied to a temporary file first (on disk once it is big)."""
    if path == "-":
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.seek(0)
            yield spool  # type: ignore[misc]
        return
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 (closed below; only opening is caught)
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
    with stream:
        yield stream
