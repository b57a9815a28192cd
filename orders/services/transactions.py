"""Write transactions that get through a busy database: short, and retried when they lose a
race for a lock (never when the database is down: that error goes straight up)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from ercdash.sqlite.base import is_busy

logger = logging.getLogger("ercdash.db")

P = ParamSpec("P")
T = TypeVar("T")

# PostgreSQL: serialization failure, deadlock detected, lock not available (lock_timeout).
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# How long a writer keeps trying before it gives up and raises; each SQLite attempt waits up
# to the busy timeout (DATABASE_BUSY_TIMEOUT) for the lock first.
RETRY_SECONDS = 10.0
sleep = time.sleep  # patched by tests


def lost_lock_race(exc: BaseException) -> bool:
    """True when a write failed only because another transaction held a lock it needed."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in RETRY_SQLSTATES or is_busy(cause)


def retrying(
    func: Callable[[], T], *, seconds: float = RETRY_SECONDS, using: str = DEFAULT_DB_ALIAS
) -> T:
    """Run func in a transaction; if it loses a race for a lock, roll back and run it again.

    Inside another transaction func just runs in a savepoint: only the outermost transaction
    can be retried, so the caller that owns it does the retrying.
    """
    if connections[using].in_atomic_block:
        with transaction.atomic(using=using):
            return func()
    deadline = time.monotonic() + seconds
    attempt = 1
    while True:
        try:
            with transaction.atomic(using=using):
                return func()
        except OperationalError as exc:
            if not lost_lock_race(exc) or time.monotonic() >= deadline:
                raise
            logger.warning(
                "A write waited too long for a database lock; trying again (attempt %d)",
                attempt + 1,
            )
        # Jittered, growing pauses so that writers that collided do not collide again.
        sleep(min(0.05 * 2**attempt, 1.0) * random.uniform(0.5, 1.0))
        attempt += 1


def write_transaction(func: Callable[P, T]) -> Callable[P, T]:
    """@transaction.atomic for services, retried as a whole when it loses a race for a lock."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return retrying(lambda: func(*args, **kwargs))

    return run


@contextmanager
def redoable_writes(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Commits that do not wait for the disk, for writers whose work can be done again: a
    bulk import (run the file again) and the webhook worker (its deliveries, stored durably
    when they were answered, are applied again if their outcome is lost).

    A crash of the process loses nothing: only a crash of the machine can lose the last of
    these commits, never the database's consistency. SQLite in WAL mode: synchronous=NORMAL
    (the next durable commit of any connection syncs them too); PostgreSQL:
    synchronous_commit off. Everything else (API writes, the console, the audit, webhook
    answers) keeps durable commits. Inside a transaction (a caller's, a test's) it changes
    nothing.
    """
    connection = connections[using]
    if connection.in_atomic_block or connection.vendor not in {"sqlite", "postgresql"}:
        yield
        return
    relax, restore = {
        "sqlite": ("PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL"),
        "postgresql": ("SET synchronous_commit = off", "RESET synchronous_commit"),
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(relax)
    try:
        yield
    finally:
        if connection.connection is not None and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(restore)


@contextmanager
def synced_after_commit(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A write whose commit is durable when this returns, made durable after the commit
    instead of inside it: for a writer that must not answer before its data is on disk (a
    webhook delivery) but should not hold SQLite's one write lock during the fsync (about 5 ms
    each, which capped every writer together at ~200 commits a second). Wrap the whole
    transaction. PostgreSQL needs none of it (no database-wide lock; its commits are
    durable): this changes nothing there, nor inside another transaction.
    """
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with redoable_writes(using):  # the commit itself does not wait for the disk
        yield
    connection.sync_log()  # after the commit: the lock is free while the disk works
