"""Read replica routing (DATABASE_REPLICA_URL): order reads of GET requests go to the replica.

Only reads that tolerate a little replication lag use the replica: the `orders` models read
by GET/HEAD requests of the API and the agent console, outside any transaction. Everything
else stays on the primary: writes, reads in a write's transaction, POSTs (cancel, idempotency
records), admin (read-your-own-edits), sessions and auth, and OAuth tokens, so a revoked
token is refused at once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA_DB_ALIAS = "replica"
REPLICA_APPS = frozenset({"orders"})
REPLICA_PATH_PREFIXES = ("/erc/ecommerce/", "/agent/")

replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if (
            replica_reads.get()
            and model._meta.app_label in REPLICA_APPS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Mark GET/HEAD requests of the API and the console as safe to read from the replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        allowed = request.method in {"GET", "HEAD"} and (
            request.path_info.startswith(REPLICA_PATH_PREFIXES)
        )
        token = replica_reads.set(allowed)
        try:
            return self.get_response(request)
        finally:
            replica_reads.reset(token)
