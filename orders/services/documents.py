"""The values kept in step with an order's rows: derived fields and the stored API document.

Nothing refreshes them behind the caller's back (no save() hooks, no signals): every write
path (import, admin, cancel, …) calls these services after it writes, and a test per write
path checks that the stored document equals a fresh render afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from orders.documents.body import order_body
from orders.documents.codec import dumps
from orders.models import (
    Address,
    Order,
    OrderItem,
    Shipment,
    ShipmentEvent,
    ShipmentItem,
    StatusEvent,
)
from orders.rules import shipments as shipment_rules
from orders.services import bulk

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
    latest = order.status_events.order_by("-status_date_time", "-id").first()
    ordered, _ = _derive(order, items, latest)
    parcels = list(order.shipments.order_by("position", "id"))
    events: list[ShipmentEvent] = []
    lines: list[tuple[int, int]] = []
    if parcels:
        events = list(
            ShipmentEvent.objects.filter(shipment__order=order).order_by(
                "shipment_id", "status_date_time", "id"
            )
        )
        lines = list(
            ShipmentItem.objects.filter(shipment__order=order).values_list("item_id", "quantity")
        )
    changed = _derive_shipments(order, ordered, parcels, events, lines)
    if changed:
        Shipment.objects.bulk_update(changed, _SHIPMENT_DERIVED_FIELDS)
    order.document = render_document(order)
    order.save(update_fields=[*_DERIVED_FIELDS, "document", "updated_at"])
    return order


@transaction.atomic
def orders_refresh(*, orders: list[Order]) -> None:
    """order_refresh for many orders at once, in a number of queries that does not grow with
    them: what a bulk import writes is derived and rendered once per batch."""
    if not orders:
        return
    pks = [order.pk for order in orders]
    items: dict[int, list[dict]] = defaultdict(list)
    rows = OrderItem.objects.filter(order__in=pks).order_by("order_id", "position", "id")
    for item in rows.values("order_id", "id", "quantity", "price", "image_url"):
        items[item["order_id"]].append(item)
    latest: dict[int, StatusEvent] = {}
    # Oldest first, so the last one seen per order is its latest (ties: the last recorded).
    for event in StatusEvent.objects.filter(order__in=pks).order_by(
        "order_id", "status_date_time", "id"
    ):
        latest[event.order_id] = event
    parcels: dict[int, list[Shipment]] = defaultdict(list)
    for parcel in Shipment.objects.filter(order__in=pks).order_by("order_id", "position", "id"):
        parcels[parcel.order_id].append(parcel)
    events: dict[int, list[ShipmentEvent]] = defaultdict(list)
    lines: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if parcels:
        shipped_orders = list(parcels)
        for event in ShipmentEvent.objects.filter(shipment__order__in=shipped_orders).order_by(
            "shipment_id", "status_date_time", "id"
        ):
            events[event.shipment_id].append(event)
        for order_id, item_id, quantity in ShipmentItem.objects.filter(
            shipment__order__in=shipped_orders
        ).values_list("shipment__order_id", "item_id", "quantity"):
            lines[order_id].append((item_id, quantity))
    changed: list[Shipment] = []
    now = timezone.now()
    for order in orders:
        ordered, _ = _derive(order, items[order.pk], latest.get(order.pk))
        order_parcels = parcels.get(order.pk, [])
        order_events = [event for parcel in order_parcels for event in events[parcel.pk]]
        changed += _derive_shipments(order, ordered, order_parcels, order_events, lines[order.pk])
        order.document = render_document(order)
        order.updated_at = now  # auto_now is not applied by bulk.update
    if changed:
        bulk.update(changed, _SHIPMENT_DERIVED_FIELDS)
    bulk.update(orders, [*_DERIVED_FIELDS, "document", "updated_at"])


def new_order_derive(
    *, order: Order, items: list[dict[str, Any]], events: list[dict[str, Any]]
) -> int | None:
    """What order_refresh derives and renders, for an order about to be created without
    parcels, from its document's items (in document order) and its status events (in the
    order they will be created): a bulk import inserts the order once, document and all.
    Returns the position of the item to set as derived_highlighted_item once the items are
    saved (their ids are not known before). `events` are StatusEvent values by field name."""
    last = None
    for event in events:  # the last one recorded wins a tie, as in order_refresh
        if last is None or event["status_date_time"] >= last["status_date_time"]:
            last = event
    latest = StatusEvent(**last) if last else None
    rows = [
        {
            "id": position,
            "quantity": item["quantity"],
            "price": item["price"]["value"],
            "image_url": item.get("image_url", ""),
        }
        for position, item in enumerate(items)
    ]
    ordered, highlighted = _derive(order, rows, latest)
    order.derived_highlighted_item_id = None  # _derive set it to a position
    _derive_shipments(order, ordered, [], [], [])
    order.document = render_document(order)
    return highlighted["id"] if highlighted else None


def _derive(
    order: Order, items: list[dict], latest: StatusEvent | None
) -> tuple[dict[int, int], dict | None]:
    """Set what the order derives from its items (in document order) and its latest status
    event; the ordered quantity per item id, and the highlighted item."""
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

    order.latest_generic_type = latest.generic_type if latest else ""
    order.latest_detailed_type = latest.detailed_type if latest else ""
    order.latest_status_at = latest.status_date_time if latest else None
    order.latest_status_description = latest.description if latest else ""
    return {item["id"]: item["quantity"] for item in items}, highlighted


def _derive_shipments(
    order: Order,
    ordered: dict[int, int],
    parcels: list[Shipment],
    events: list[ShipmentEvent],
    lines: list[tuple[int, int]],
) -> list[Shipment]:
    """Each parcel's latest event, then the order's fulfillment and delivery status; the
    parcels whose latest event changed (to be saved). `events` oldest first per parcel."""
    shipped: dict[int, int] = {}
    changed = []
    if parcels:
        latest: dict[int, ShipmentEvent] = {}
        for event in events:  # oldest first, so the last one seen per parcel is its latest
            latest[event.shipment_id] = event
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
        for item_id, quantity in lines:
            shipped[item_id] = shipped.get(item_id, 0) + quantity
    order.fulfillment_status = shipment_rules.fulfillment_status(
        ordered, shipped, has_shipments=bool(parcels)
    )
    newest = shipment_rules.latest_shipment(parcels)
    order.delivery_status = newest.latest_detailed_type if newest else ""
    return changed


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
