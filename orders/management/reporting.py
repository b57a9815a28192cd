"""What the import commands print: one JSON counts line on stdout, one JSON line per problem on
stderr, and exit status 1 when any record was rejected."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from orders.services import ImportResult


def import_result_write(command: BaseCommand, result: ImportResult) -> None:
    for error in result.errors:
        line = {"record": error.record, "field": error.field, "description": error.description}
        command.stderr.write(json.dumps(line, ensure_ascii=False), style_func=lambda text: text)
    command.stdout.write(json.dumps(result.summary()))
    if result.rejected:
        sys.exit(1)
