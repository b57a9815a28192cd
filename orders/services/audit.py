"""The access-audit log: one row per look at, or change to, a customer's data."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.utils import timezone

from orders.models import AccessAudit
from orders.services.transactions import retrying, write_transaction

logger = logging.getLogger("ercdash.audit")

# Rows written after the response keep trying this long; the worker is free of its client
# by then, but must finish well within gunicorn's worker timeout (30 s).
DEFERRED_RETRY_SECONDS = 20.0


@write_transaction
def audit_record(
    *,
    actor: str,
    channel: str,
    action: str,
    user=None,
    customer_id: str = "",
    order_id: str = "",
    request_id: str = "",
    detail: str = "",
    changes: dict | None = None,
) -> AccessAudit:
    """Write one access-audit row: who did what to which customer/order, when, through what
    (and, for a change, the values before and after)."""
    return AccessAudit.objects.create(
        actor=actor,
        user=user,
        channel=channel,
        action=action,
        customer_external_id=customer_id,
        order_external_id=order_id,
        request_id=request_id,
        detail=detail,
        changes=changes or {},
    )


@dataclass(frozen=True)
class AuditRow:
    """An access-audit row decided now and written later (audit_rows_write)."""

    actor: str
    channel: str
    action: str
    user_id: int | None = None
    customer_id: str = ""
    order_id: str = ""
    request_id: str = ""
    detail: str = ""
    at: datetime = field(default_factory=timezone.now)


def audit_rows_write(*, rows: list[AuditRow]) -> None:
    """Write rows decided earlier in one short transaction, retried while the database is busy.

    Never raises: a row that still cannot be written (the database is down) goes to the log
    in full, at ERROR, so it is not lost.
    """
    if not rows:
        return
    try:
        retrying(
            lambda: AccessAudit.objects.bulk_create(
                AccessAudit(
                    at=row.at,
                    actor=row.actor,
                    user_id=row.user_id,
                    channel=row.channel,
                    action=row.action,
                    customer_external_id=row.customer_id,
                    order_external_id=row.order_id,
                    request_id=row.request_id,
                    detail=row.detail,
                )
                for row in rows
            ),
            seconds=DEFERRED_RETRY_SECONDS,
        )
    except Exception:
        # Any failure: this runs after the response, where nothing else would report it.
        for row in rows:
            logger.error(
                "Access-audit row not written to the database, recorded here instead: %s",
                json.dumps({**asdict(row), "at": row.at.isoformat()}, sort_keys=True),
                exc_info=row is rows[0],
            )
