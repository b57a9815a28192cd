"""The access-audit log: one row per look at, or change to, a customer's data."""

from __future__ import annotations

from django.db import transaction

from orders.models import AccessAudit


@transaction.atomic
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
) -> AccessAudit:
    """Write one access-audit row: who did what to which customer/order, when, through what."""
    return AccessAudit.objects.create(
        actor=actor,
        user=user,
        channel=channel,
        action=action,
        customer_external_id=customer_id,
        order_external_id=order_id,
        request_id=request_id,
        detail=detail,
    )
