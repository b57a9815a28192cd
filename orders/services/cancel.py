"""Order cancellation: the state change, its audit row and its timeline event."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from orders.models import (
    AccessAudit,
    CancellationStatus,
    CancelReason,
    GenericType,
    Order,
    StatusEvent,
)
from orders.rules import actions
from orders.services.audit import audit_record
from orders.services.documents import order_refresh
from orders.services.transactions import write_transaction


class OrderNotCancellable(Exception):
    """The order's state does not allow a cancellation; the message says why."""


@dataclass(frozen=True)
class CancelDetails:
    """What the canceller asked for besides the reason. Recorded with the cancellation and
    shown to agents, never acted on: ercdash sends no email, restocks nothing and moves no
    money (the shop's own systems do, from what agents see)."""

    staff_note: str = ""
    restock: bool | None = None
    notify_customer: bool | None = None
    refund_method: str = ""


_CANCEL_STATE_FIELDS = [
    "cancellation_status",
    "canceled_at",
    "cancel_reason",
    "canceled_by",
    "cancel_staff_note",
    "cancel_restock",
    "cancel_notify_customer",
    "cancel_refund_method",
    "latest_generic_type",
    "latest_detailed_type",
    "latest_status_at",
    "fulfillment_status",
    "updated_at",
]


@write_transaction
def order_cancel(
    *,
    order: Order,
    reason: str,
    actor: str,
    channel: str,
    user=None,
    request_id: str = "",
    details: CancelDetails | None = None,
) -> Order:
    """Cancel an order that has not left yet; OrderNotCancellable otherwise.

    A conditional UPDATE decides, so of two concurrent cancels exactly one wins on any
    database, without relying on row locks. One short transaction: the order's row lock
    (PostgreSQL) is held from that UPDATE to the commit, a few statements later.
    """
    now = timezone.now()
    # The same state the orders' is_cancellable flag is computed from (rules.actions).
    updated = Order.objects.filter(pk=order.pk, **actions.state_filter(actions.CANCELLABLE)).update(
        cancellation_status=CancellationStatus.CANCELED,
        canceled_at=now,
        cancel_reason=reason,
        canceled_by=actor,
        cancel_staff_note=details.staff_note if details else "",
        cancel_restock=details.restock if details else None,
        cancel_notify_customer=details.notify_customer if details else None,
        cancel_refund_method=details.refund_method if details else "",
        updated_at=now,
    )
    # Reload only plain fields: a full refresh would drop the loaded customer and addresses
    # that the stored document is re-rendered from.
    order.refresh_from_db(fields=_CANCEL_STATE_FIELDS)
    if not updated:
        if order.is_canceled:
            raise OrderNotCancellable(f"Order {order.external_id} is already canceled.")
        raise OrderNotCancellable(
            f"Order {order.external_id} has left the warehouse and can no longer be canceled."
        )
    audit_record(
        actor=actor,
        user=user,
        channel=channel,
        action=AccessAudit.Action.CANCEL_ORDER,
        customer_id=order.customer.external_id,
        order_id=order.external_id,
        request_id=request_id,
        detail=reason,
    )
    # The timeline says what happened too. Cancellation is not a shipping stage: the event keeps
    # the stage the order had reached and sorts last even if the clock went back. The actor
    # stays out of it (API clients see the timeline); it is in canceled_by and the audit.
    StatusEvent.objects.create(
        order=order,
        generic_type=order.latest_generic_type or GenericType.UNKNOWN,
        detailed_type=order.latest_detailed_type,
        status_date_time=max(now, order.latest_status_at) if order.latest_status_at else now,
        description=f"Canceled: {CancelReason(reason).label}",
        is_local=True,
    )
    return order_refresh(order=order)
