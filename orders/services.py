"""Writes. Every change to an order's items or timeline goes through order_refresh_derived."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from orders import serializers
from orders.errors import NotCancellable
from orders.models import (
    CANCELLABLE_GENERIC_TYPES,
    AccessAudit,
    CancellationStatus,
    CancelReason,
    GenericType,
    IdempotencyRecord,
    Order,
    StatusEvent,
)
from orders.renderers import dumps
from orders.serializers import order_body


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


def render_document(order: Order) -> str:
    return dumps(order_body(order)).decode()


@transaction.atomic
def orders_refresh_documents(*, orders: QuerySet[Order]) -> int:
    """Re-render the stored API documents, e.g. after a customer or address edit."""
    count = 0
    for order in orders.select_related("customer", "shipping_address", "billing_address"):
        order.save(update_fields=["document", "updated_at"])
        count += 1
    return count


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


@transaction.atomic
def order_cancel(
    *,
    order: Order,
    reason: str,
    actor: str,
    channel: str,
    user=None,
    request_id: str = "",
) -> Order:
    """Cancel an order that has not left yet; NotCancellable otherwise.

    A conditional UPDATE decides, so of two concurrent cancels exactly one wins on any
    database, without relying on row locks.
    """
    now = timezone.now()
    updated = Order.objects.filter(
        pk=order.pk,
        cancellation_status="",
        latest_generic_type__in=CANCELLABLE_GENERIC_TYPES,
    ).update(
        cancellation_status=CancellationStatus.CANCELED,
        canceled_at=now,
        cancel_reason=reason,
        canceled_by=actor,
        updated_at=now,
    )
    if not updated:
        order.refresh_from_db()
        if order.is_canceled:
            raise NotCancellable(f"Order {order.external_id} is already canceled.")
        raise NotCancellable(
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
    order.refresh_from_db()
    order.save(update_fields=["document"])  # the update() above skipped save()
    return order


def idempotent_response(
    *, client_id: str, key: str, method: str, path: str, status: int, body: bytes
) -> IdempotencyRecord:
    """Keep the first answer for (client, key); a racing duplicate gets the stored one back."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                client_id=client_id,
                key=key,
                method=method,
                path=path,
                status_code=status,
                body=body,
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(client_id=client_id, key=key)


@transaction.atomic
def order_cancel_with_event(
    *,
    order: Order,
    reason: str,
    actor: str,
    channel: str,
    user=None,
    request_id: str = "",
) -> Order:
    """order_cancel, plus a timeline event saying who canceled and why (admin cancels)."""
    order = order_cancel(
        order=order,
        reason=reason,
        actor=actor,
        channel=channel,
        user=user,
        request_id=request_id,
    )
    # Cancellation is not a shipping stage: the event keeps the stage the order had reached
    # and says in words what happened. It sorts last even if the clock went back.
    now = timezone.now()
    label = CancelReason(reason).label if reason in CancelReason.values else reason
    StatusEvent.objects.create(
        order=order,
        generic_type=order.latest_generic_type or GenericType.UNKNOWN,
        detailed_type=order.latest_detailed_type,
        status_date_time=max(now, order.latest_status_at) if order.latest_status_at else now,
        description=f"Canceled by {actor}" + (f": {label}" if label else ""),
    )
    return order_refresh_derived(order=order)


def order_document(order: Order) -> dict[str, Any]:
    """The export document (SPEC §5): stored values only, plus customer, items, history.

    Needs the order from selectors.orders_for_export() (customer and addresses joined,
    items and status events prefetched), or it costs queries per order.
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
