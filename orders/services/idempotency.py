"""Idempotency keys: a keyed API write is reserved, acted on and answered in one transaction.

A key belongs to the request it first answered (method, path, query and body, as a hash):
the same key with anything else is refused before anything happens. Keys expire after
KEY_LIFETIME; expired ones are deleted by every keyed write and by the
clear_idempotency_keys command.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import orjson
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import IdempotencyRecord

KEY_LIFETIME = timedelta(hours=24)


class IdempotencyKeyReused(Exception):
    """The key was first used for another request (other method, path, query or body)."""


def request_fingerprint(
    *, method: str, path: str, query: list[tuple[str, list[str]]], data: Any
) -> str:
    """SHA-256 of the request as the client meant it: key order and spacing of a JSON body,
    and the order of query parameters, do not matter."""
    body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
    canonical = orjson.dumps([method.upper(), path.rstrip("/"), sorted(query)]) + b"\n" + body
    return hashlib.sha256(canonical).hexdigest()


def idempotency_keys_expire() -> int:
    """Delete the keys older than KEY_LIFETIME (and the answers they hold); how many."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    return deleted


def idempotency_reserve(
    *, client_id: str, key: str, method: str, path: str, fingerprint: str
) -> IdempotencyRecord | None:
    """Reserve (client, key) for this request inside the caller's transaction.

    None: reserved, go ahead and act, then idempotency_complete(). A record: the answer to
    replay. IdempotencyKeyReused: the key belongs to another request. A concurrent request
    with the same key waits on the unique index until the first one commits (or rolls back,
    leaving the key free), so two requests can never both act.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("idempotency_reserve must run inside the write's transaction")
    try:
        with transaction.atomic():  # a savepoint: the duplicate must not end the transaction
            IdempotencyRecord.objects.create(
                client_id=client_id,
                key=key,
                method=method,
                path=path,
                request_hash=fingerprint,
                status_code=0,
                body=b"",
            )
        return None
    except IntegrityError:
        stored = IdempotencyRecord.objects.get(client_id=client_id, key=key)
    # Keys stored before fingerprints existed (no hash) are bound by method and path only.
    same_body = stored.request_hash in ("", fingerprint)
    if not same_body or (stored.method, stored.path) != (method, path):
        raise IdempotencyKeyReused(key)
    return stored


def idempotency_complete(*, client_id: str, key: str, status: int, body: bytes) -> None:
    """Keep the answer of a reserved key, in the same transaction as the write it answers."""
    IdempotencyRecord.objects.filter(client_id=client_id, key=key).update(
        status_code=status, body=body
    )
