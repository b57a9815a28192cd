"""Writes. Every change to an order's items or timeline goes through order_refresh_derived."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from orders import errors, serializers
from orders.models import AccessAudit, CancellationStatus, GenericType, Order, StatusEvent
from orders.renderers import dumps


@transaction.atomic
def order_refresh_derived(*, order: Order) -> Order:
    """Recompute the values the API derives from items and status events, and save them."""
    items = list(order.items.order_by("position", "id").values("quantity", "price", "image_url"))
    order.derived_items_quantity = sum(item["quantity"] for item in items) if items else None
    top = None
    for item in items:  # first item wins a tie on the highest unit price
        if top is None or item["price"] > top["price"]:
            top = item
    order.derived_top_item_image_url = top["image_url"] if top else ""

    latest = order.status_events.order_by("-status_date_time", "-id").first()
    order.latest_generic_type = latest.generic_type if latest else ""
    order.latest_detailed_type = latest.detailed_type if latest else ""
    order.latest_status_at = latest.status_date_time if latest else None
    order.latest_status_description = latest.description if latest else ""
    order.save(
        update_fields=[
            "derived_items_quantity",
            "derived_top_item_image_url",
            "latest_generic_type",
            "latest_detailed_type",
            "latest_status_at",
            "latest_status_description",
            "updated_at",
        ]
    )
    return order


# Statuses at or beyond which an order has left the warehouse and can no longer be canceled.
SHIPPED_GENERIC_TYPES = frozenset(
    {GenericType.ON_ITS_WAY, GenericType.OUT_FOR_DELIVERY, GenericType.DELIVERED}
)


def order_is_cancellable(order: Order) -> bool:
    """Not canceled yet and not shipped (latest generic status UNKNOWN or CONFIRMED)."""
    return not order.is_canceled and order.latest_generic_type not in SHIPPED_GENERIC_TYPES


def audit_record(
    *,
    actor: str,
    channel: str,
    action: str,
    user: User | None = None,
    customer_id: str = "",
    order_id: str = "",
    request_id: str = "",
    detail: str = "",
) -> AccessAudit:
    """Append one access-audit row (who did what to which customer/order, through which door)."""
    return AccessAudit.objects.create(
        user=user,
        actor=actor,
        channel=channel,
        action=action,
        customer_external_id=customer_id,
        order_external_id=order_id,
        request_id=request_id,
        detail=detail[:255],
    )


@transaction.atomic
def order_cancel(
    *,
    order: Order,
    canceled_by: str,
    reason: str,
    channel: str,
    user: User | None = None,
    request_id: str = "",
) -> Order:
    """Cancel the order: flag, timeline event, audit row and fresh derived values.

    Raises errors.NotCancellable when the order is already canceled or has shipped.
    """
    # Lock the row and decide on fresh data, so two concurrent cancels cannot both pass.
    order = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    if order.is_canceled:
        raise errors.NotCancellable("The order is already canceled.")
    if not order_is_cancellable(order):
        raise errors.NotCancellable("The order has already shipped.")
    now = timezone.now()
    order.cancellation_status = CancellationStatus.CANCELED
    order.canceled_at = now
    order.canceled_by = canceled_by[:200]
    order.cancel_reason = reason[:64]
    order.save(
        update_fields=[
            "cancellation_status",
            "canceled_at",
            "canceled_by",
            "cancel_reason",
            "updated_at",
        ]
    )
    # Cancellation is not a shipping stage: the timeline keeps the stage the order reached
    # and says in words what happened. The event sorts last even if the clock went back.
    at = max(now, order.latest_status_at) if order.latest_status_at else now
    StatusEvent.objects.create(
        order=order,
        generic_type=order.latest_generic_type or GenericType.UNKNOWN,
        detailed_type=order.latest_detailed_type,
        status_date_time=at,
        description=f"Canceled by {canceled_by}" + (f": {reason}" if reason else ""),
    )
    audit_record(
        actor=canceled_by,
        channel=channel,
        action=AccessAudit.Action.CANCEL_ORDER,
        user=user,
        customer_id=order.customer.external_id,
        order_id=order.external_id,
        request_id=request_id,
        detail=reason,
    )
    return order_refresh_derived(order=order)


def order_document(order: Order) -> dict[str, Any]:
    """The export document (SPEC §5): stored values only, plus customer, items, history.

    Needs the order with customer and addresses selected and items and status events
    prefetched (selectors.orders_for_export), or it costs queries per order.
    """
    document = serializers.order_body(order, derived=False)
    document["customer"] = serializers.customer_body(order.customer)
    document["items"] = [serializers.item_body(item) for item in order.items.all()]
    document["status_history"] = [
        serializers.status_event_body(event) for event in order.status_events.all()
    ]
    return document


def orders_export_lines(*, orders: Iterable[Order]) -> Iterator[bytes]:
    """JSON Lines, one order document per line, money as exact JSON numbers."""
    for order in orders:
        yield dumps(order_document(order)) + b"\n"
