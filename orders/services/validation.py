"""Import records validated a chunk at a time, on a second core when the input is big.

Decoding and validating a record (documents.normalize: every rule, the card-number scan)
costs about as much CPU as writing it. A big import hands both to a child process that reads
the input and validates chunk after chunk while this process writes the chunk before: the
records, their order, their positions and their outcomes are exactly those of validating
them here, only sooner. The child never touches the database (it would share this
process's connection): it only reads the input and runs the document rules, and it is
forked so that it starts at once with the same code and settings.
"""

from __future__ import annotations

import logging
import multiprocessing
import traceback
from collections.abc import Callable, Iterator
from itertools import chain, islice
from typing import Any

from orders import documents as order_documents

logger = logging.getLogger("ercdash.imports")

# (position, normalized document or None, problems as (field path, description))
Prepared = tuple[int, dict[str, Any] | None, list[tuple[str, str]]]


class ValidationFailed(RuntimeError):
    """The validating process stopped on an unexpected error (a bug, not a bad record)."""


def prepare(records: list[order_documents.RawRecord]) -> list[Prepared]:
    """Each record normalized, or the problems that reject it."""
    prepared: list[Prepared] = []
    for record in records:
        if record.error:
            prepared.append((record.position, None, [("", record.error)]))
            continue
        try:
            prepared.append((record.position, order_documents.normalize(record.value), []))
        except order_documents.DocumentError as exc:
            prepared.append((record.position, None, exc.errors))
    return prepared


def prepared_chunks(
    records: Iterator[order_documents.RawRecord],
    *,
    size: int,
    parallel: bool,
    prepare: Callable[[list[order_documents.RawRecord]], list[Any]] = prepare,
) -> Iterator[list[Any]]:
    """The records validated (`prepare`, by default the order document rules), `size` at a
    time, in their order.

    With `parallel`, an input of more than one chunk is read and validated by a child
    process, one chunk ahead of the caller (memory stays at a few chunks); a smaller input,
    or a platform that cannot fork, is validated here. `prepare` must not use the database.
    """
    first = list(islice(records, size))
    more = next(records, None)
    rest: Iterator[order_documents.RawRecord] = iter(()) if more is None else chain([more], records)
    if parallel and more is not None and "fork" in multiprocessing.get_all_start_methods():
        yield from _in_child(first, rest, size=size, prepare=prepare)
        return
    chunk = first
    while chunk:
        yield prepare(chunk)
        chunk = list(islice(rest, size))


def _in_child(
    first: list[order_documents.RawRecord],
    rest: Iterator[order_documents.RawRecord],
    *,
    size: int,
    prepare: Callable[[list[order_documents.RawRecord]], list[Any]],
) -> Iterator[list[Any]]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_validate_into,
        args=(first, rest, size, sender, prepare),
        name="ercdash-import-validation",
        daemon=True,  # never outlives the import
    )
    child.start()
    sender.close()  # the child's end: EOF here once the child is gone
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                child.join(timeout=5)
                raise ValidationFailed(
                    f"The validating process ended without finishing (exit code {child.exitcode})."
                ) from None
            if kind == "done":
                return
            if kind == "failed":
                raise ValidationFailed(f"The validating process failed:\n{payload}")
            yield payload
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():  # the import stopped early (an error while writing)
            child.terminate()
            child.join()


def _validate_into(
    first: list[order_documents.RawRecord],
    rest: Iterator[order_documents.RawRecord],
    size: int,
    sender: Any,
    prepare: Callable[[list[order_documents.RawRecord]], list[Any]],
) -> None:
    """The child: read, validate and send chunk after chunk; each send waits for the parent
    to take the one before, which keeps it one chunk ahead."""
    try:
        chunk = first
        while chunk:
            sender.send(("chunk", prepare(chunk)))
            chunk = list(islice(rest, size))
        sender.send(("done", None))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent stopped reading: it stopped the import
    except Exception:
        # The same traceback the import would show if it validated in its own process.
        sender.send(("failed", traceback.format_exc()))
    finally:
        sender.close()
