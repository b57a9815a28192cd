"""Idempotency keys: the first answer to a keyed API write, kept for replays."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from orders.models import IdempotencyRecord


def idempotent_response(
    *,
    client_id: str,
    key: str,
    method: str,
    path: str,
    status: int,
    body: bytes,
    request_hash: str = "",
) -> IdempotencyRecord:
    """Keep the first answer for (client, key); a racing duplicate gets the stored one back."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                client_id=client_id,
                key=key,
                method=method,
                path=path,
                request_hash=request_hash,
                status_code=status,
                body=body,
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(client_id=client_id, key=key)
