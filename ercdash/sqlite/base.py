"""SQLite for one writer beside many readers: Django's backend, with writers taking turns.

settings.py puts the database in WAL mode (reads never wait for a writer) and makes write
transactions start with BEGIN IMMEDIATE (a transaction takes the write lock up front, so it
never fails halfway through on a lock upgrade). What SQLite does not give is fairness between
writers: its busy handler sleeps longer and longer between tries (up to 100 ms), so a short
write, an audit row say, keeps missing the moment a bulk import commits and begins again, and
can wait for its whole busy timeout. Here a write transaction polls for the lock every
millisecond instead, and a connection that has just held the lock for a while leaves a short
gap before it takes it again, so waiting writers get their turn at the next commit.
"""

from __future__ import annotations

import os
import sqlite3
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

POLL_SECONDS = 0.001
# A connection that held the write lock this long lets others in before it takes it again.
LONG_HOLD_SECONDS = 0.010
YIELD_SECONDS = 0.005
monotonic, sleep = time.monotonic, time.sleep  # patched by tests


def is_busy(exc: BaseException | None) -> bool:
    """True for "database is locked": another connection holds the write lock."""
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
        or "database is locked" in str(exc)
    )


class DatabaseWrapper(base.DatabaseWrapper):
    lock_taken_at: float | None = None
    next_begin_at: float = 0.0

    @property
    def busy_timeout(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("timeout", 5.0))

    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode not in {"IMMEDIATE", "EXCLUSIVE"}:
            super()._start_transaction_under_autocommit()
            return
        wait = self.next_begin_at - monotonic()
        if wait > 0:
            sleep(wait)
        deadline = monotonic() + self.busy_timeout
        # SQLite's own busy handler is off while polling; other statements keep it.
        self.connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    self.cursor().execute(f"BEGIN {self.transaction_mode}")
                    break
                except OperationalError as exc:
                    if not is_busy(exc.__cause__) or monotonic() >= deadline:
                        raise
                sleep(POLL_SECONDS)
        finally:
            self.connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        self.lock_taken_at = monotonic()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._lock_released()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._lock_released()

    def _lock_released(self) -> None:
        if self.lock_taken_at is None:
            return
        now = monotonic()
        if now - self.lock_taken_at >= LONG_HOLD_SECONDS:
            self.next_begin_at = now + YIELD_SECONDS
        self.lock_taken_at = None

    def sync_log(self) -> None:
        """fsync the write-ahead log: every commit made so far is on disk, as
        synchronous=FULL makes each commit, but done after the commit let go of the write
        lock, so other writers are not held up while the disk works.

        Any file descriptor syncs the file. No log file means a checkpoint copied the log
        into the database and removed it, syncing the database as it did.
        """
        if self.is_in_memory_db():
            return
        try:
            descriptor = os.open(f"{self.settings_dict['NAME']}-wal", os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
