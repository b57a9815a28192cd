"""The values kept in step with an order's rows: derived fields and the stored API document.

Nothing refreshes them behind the caller's back (no save() hooks, no signals): every write
path (import, admin, cancel, …) calls these services after it writes, and a test per write
path checks that the stored document equals a fresh render afterwards.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from orders.documents.body import order_body
from orders.documents.codec import dumps
from orders.models import Address, Order, Shipment, ShipmentEvent, ShipmentItem
from orders.rules import shipments as shipment_rules

_DERIVED_FIELDS = [
    "derived_items_quantity",
    "derived_top_item_image_url",
    "derived_highlighted_item",
    "latest_generic_type",
    "latest_detailed_type",
    "latest_status_at",
    "latest_status_description",
    "fulfillment_status",
    "delivery_status",
]
_SHIPMENT_DERIVED_FIELDS = [
    "latest_detailed_type",
    "latest_status_at",
    "latest_status_description",
    "latest_status_location",
    "updated_at",
]


def render_document(order: Order) -> str:
    """The order's ERC body (without _links) as the API serves it."""
    return dumps(order_body(order)).decode()


@transaction.atomic
def order_refresh(*, order: Order) -> Order:
    """Recompute what the API derives from items and status events, and the stored document.

    Needs the order's customer and addresses (select_related) to render without extra queries.
    """
    items = list(
        order.items.order_by("position", "id").values("id", "quantity", "price", "image_url")
    )
    order.derived_items_quantity = sum(item["quantity"] for item in items) if items else None
    top = None
    for item in items:  # first item wins a tie on the highest unit price
        if top is None or item["price"] > top["price"]:
            top = item
    order.derived_top_item_image_url = top["image_url"] if top else ""
    # The item whose image is the highlighted one: the first showing the stored image, else
    # the priciest item when it has an image. None when no item shows the highlighted image.
    stored = order.highlighted_item_image_url
    if stored:
        highlighted = next((item for item in items if item["image_url"] == stored), None)
    else:
        highlighted = top if top and top["image_url"] else None
    order.derived_highlighted_item_id = highlighted["id"] if highlighted else None

    latest = order.status_events.order_by("-status_date_time", "-id").first()
    order.latest_generic_type = latest.generic_type if latest else ""
    order.latest_detailed_type = latest.detailed_type if latest else ""
    order.latest_status_at = latest.status_date_time if latest else None
    order.latest_status_description = latest.description if latest else ""
    _refresh_shipments(order, {item["id"]: item["quantity"] for item in items})
    order.document = render_document(order)
    order.save(update_fields=[*_DERIVED_FIELDS, "document", "updated_at"])
    return order


def _refresh_shipments(order: Order, ordered: dict[int, int]) -> None:
    """Each parcel's latest event, then the order's fulfillment and delivery status.

    One query for an order without parcels; three with.
    """
    parcels = list(order.shipments.order_by("position", "id"))
    shipped: dict[int, int] = {}
    if parcels:
        latest: dict[int, ShipmentEvent] = {}
        events = ShipmentEvent.objects.filter(shipment__order=order).order_by(
            "shipment_id", "status_date_time", "id"
        )
        for event in events:  # oldest first, so the last one seen per parcel is its latest
            latest[event.shipment_id] = event
        changed = []
        for parcel in parcels:
            event = latest.get(parcel.pk)
            values = {
                "latest_detailed_type": event.detailed_type if event else "",
                "latest_status_at": event.status_date_time if event else None,
                "latest_status_description": event.description if event else "",
                "latest_status_location": event.location if event else "",
            }
            if any(getattr(parcel, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(parcel, name, value)
                parcel.updated_at = timezone.now()
                changed.append(parcel)
        if changed:
            Shipment.objects.bulk_update(changed, _SHIPMENT_DERIVED_FIELDS)
        lines = ShipmentItem.objects.filter(shipment__order=order).values_list(
            "item_id", "quantity"
        )
        for item_id, quantity in lines:
            shipped[item_id] = shipped.get(item_id, 0) + quantity
    order.fulfillment_status = shipment_rules.fulfillment_status(
        ordered, shipped, has_shipments=bool(parcels)
    )
    newest = shipment_rules.latest_shipment(parcels)
    order.delivery_status = newest.latest_detailed_type if newest else ""


@transaction.atomic
def orders_refresh_documents(*, orders: QuerySet[Order]) -> int:
    """Re-render the stored documents of these orders, e.g. after an address they embed changed."""
    count = 0
    for order in orders.select_related("customer", "shipping_address", "billing_address"):
        order.document = render_document(order)
        order.save(update_fields=["document", "updated_at"])
        count += 1
    return count


def orders_embedding(*, addresses: list[Address] | list[int]) -> QuerySet[Order]:
    """The orders whose stored documents embed one of these addresses."""
    return Order.objects.filter(
        Q(shipping_address__in=addresses) | Q(billing_address__in=addresses)
    )
