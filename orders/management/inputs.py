"""The input file of the import commands: a path, or '-' for standard input."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.core.management.base import CommandError

SPOOL_IN_MEMORY_BYTES = 16 * 2**20


@contextmanager
def input_stream(path: str) -> Iterator[IO[bytes]]:
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
