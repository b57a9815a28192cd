"""Idempotency keys: the first answer to a keyed API write, kept for replays."""

from __future__ import annotations

from django.db import IntegrityError

from orders.models import IdempotencyRecord
from orders.services.transactions import retrying


def idempotent_response(
    *, client_id: str, key: str, method: str, path: str, status: int, body: bytes
) -> IdempotencyRecord:
    """Keep the first answer for (client, key); a racing duplicate gets the stored one back."""
    try:
        return retrying(
            lambda: IdempotencyRecord.objects.create(
                client_id=client_id,
                key=key,
                method=method,
                path=path,
                status_code=status,
                body=body,
            )
        )
    except IntegrityError:
        return IdempotencyRecord.objects.get(client_id=client_id, key=key)
