"""ERC wire shapes only the API serves: envelopes, the customer detail and contacts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orders.documents.body import (
    address_body,
    compact,
    custom_fields_body,
    customer_body,
    item_body,
    money,
    order_body,
    status_event_body,
)
from orders.models import Customer, DetailedType, Order, OrderItem, Shipment, ShipmentItem
from orders.rules import carriers, shipments
from orders.rules.money import money_average
from orders.rules.times import rfc3339


def average_order_value(customer: Customer) -> dict[str, Any] | None:
    """The mean final total of the customer's orders that are not canceled, when they all
    share one currency (annotated by selectors.customer_get(order_value=True))."""
    if not customer.order_count or customer.order_currencies != 1:
        return None
    value = money_average(customer.order_total, customer.order_count, customer.order_currency)
    return money(value, customer.order_currency)


def customer_detail_body(customer: Customer, *, self_href: str) -> dict[str, Any]:
    """The customer with every address (prefetched by selectors.customer_get)."""
    body = customer_body(customer)
    body["addresses"] = [address_body(address) for address in customer.addresses.all()]
    value = average_order_value(customer)
    if value is not None:
        body["average_order_value"] = value
    body["_links"] = {"self": {"href": self_href}}
    return body


def contact_body(customer: Customer, *, self_href: str) -> dict[str, Any]:
    """Talkdesk's contact: customer_id, name, created_at and updated_at always present."""
    body: dict[str, Any] = {
        "customer_id": customer.external_id,
        "name": customer.full_name,
    }
    if customer.brand:
        body["brand"] = customer.brand
    # Created: when the source registered the customer, else when ercdash first stored them.
    body["created_at"] = rfc3339(customer.customer_since or customer.created_at)
    body["updated_at"] = rfc3339(customer.updated_at)
    body["emails"] = [customer.email] if customer.email else []
    body["phones"] = [customer.phone_number] if customer.phone_number else []
    if customer.custom_fields:
        body["custom_fields"] = custom_fields_body(customer.custom_fields)
    body["_links"] = {"self": {"href": self_href}}
    return body


def most_recent_order_body(order: Order, *, self_href: str) -> dict[str, Any]:
    """The order plus its whole timeline, oldest first, the index of the latest event, and
    the item whose image is the highlighted one."""
    body = order_body(order, self_href=self_href)
    links = body.pop("_links")
    events = list(order.status_events.all())
    body["status_info"] = [status_event_body(event) for event in events]
    if events:
        # Oldest first with ties in recording order, so the latest event is always the last.
        body["status_info_current_index"] = len(events) - 1
    newest = shipments.latest_shipment(list(order.shipments.all()))
    if newest is not None:
        body["tracking_info"] = tracking_info_body(newest)
    if order.derived_highlighted_item is not None:
        # In the items shape, with the parcels it travels in (prefetched by the selector).
        item = order.derived_highlighted_item
        body["highlighted_item"] = item_with_deliveries(item, list(item.shipment_lines.all()))
    body["_links"] = links
    return body


# --- Shipments (Talkdesk's Shipment shape, and each order item's deliveries) ---------------
# Talkdesk's types require shipping_provider, tracking_info and latest_status_info: they are
# always present. A carrier or number the source did not give is "", a parcel without
# events is UNKNOWN since it was recorded, and external_url is left out when there is no
# link (never a guessed one).


def _time(value) -> str | None:
    return rfc3339(value) if value else None


def tracking_url(shipment: Shipment) -> str:
    """The stored link, else the carrier data set's, else ""."""
    return carriers.tracking_url(
        stored=shipment.tracking_url,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
    )


def tracking_info_body(shipment: Shipment) -> dict[str, Any]:
    body = {"tracking_number": shipment.tracking_number, "tracking_carrier": shipment.carrier}
    url = tracking_url(shipment)
    if url:
        body["external_url"] = url
    return body


def shipment_status_body(shipment: Shipment) -> dict[str, Any]:
    """The parcel's latest event (kept on it by services.order_refresh)."""
    if not shipment.latest_detailed_type:
        return {
            "type": DetailedType.UNKNOWN.value,
            "status_date_time": rfc3339(shipment.shipping_date or shipment.created_at),
        }
    return compact(
        {
            "type": shipment.latest_detailed_type,
            "status_date_time": rfc3339(shipment.latest_status_at),
            "description": shipment.latest_status_description,
            "location": shipment.latest_status_location,
        }
    )


def shipment_body(shipment: Shipment) -> dict[str, Any]:
    """A parcel as GET /customers/{id}/shipments lists it. Needs order (customer, shipping
    address) and lines (with items) loaded: selectors.customer_shipments_query."""
    order = shipment.order
    body: dict[str, Any] = {"id": shipment.external_id}
    if order.brand:
        body["brand"] = order.brand
    body |= {
        "customer_id": order.customer.external_id,
        "order_id": order.external_id,
        "shipping_provider": shipment.carrier,
        "tracking_info": tracking_info_body(shipment),
        "latest_status_info": shipment_status_body(shipment),
    }
    body |= compact(
        {
            "service_level": shipment.service_level,
            "shipping_date": _time(shipment.shipping_date),
            "delivery_date_start": _time(shipment.delivery_date_start),
            "delivery_date_end": _time(shipment.delivery_date_end),
        }
    )
    body["created_time"] = rfc3339(shipment.created_at)
    body["last_updated"] = rfc3339(shipment.updated_at)
    address = address_body(order.shipping_address)
    if address is not None:
        body["shipping_address"] = address
    # Each item with the quantity that travels in this parcel.
    body["items"] = [
        {**item_body(line.item), "quantity": line.quantity} for line in shipment.lines.all()
    ]
    return body


def delivery_body(line: ShipmentItem) -> dict[str, Any]:
    """One parcel an order item travels in, as the item's deliveries[] lists it."""
    shipment = line.shipment
    status = shipment_status_body(shipment)
    tracking = {"tracking_number": shipment.tracking_number}
    url = tracking_url(shipment)
    if url:
        tracking["external_url"] = url
    body: dict[str, Any] = {
        "id": shipment.external_id,
        "delivery_quantity": line.quantity,
        "carrier": shipment.carrier,
    }
    body |= compact(
        {
            "shipping_date": _time(shipment.shipping_date),
            "delivery_date_start": _time(shipment.delivery_date_start),
            "delivery_date_end": _time(shipment.delivery_date_end),
            "service_level": shipment.service_level,
        }
    )
    body["latest_status_info"] = {
        "type": status["type"],
        "status_date_time": status["status_date_time"],
    }
    body["tracking_info"] = tracking
    body["last_update"] = rfc3339(shipment.updated_at)
    return body


def item_deliveries(item: OrderItem, lines: Iterable[ShipmentItem]) -> list[dict[str, Any]]:
    """The item's deliveries[]: the parcels it travels in, in the order's parcel order."""
    return [delivery_body(line) for line in lines if line.item_id == item.pk]


def item_with_deliveries(item: OrderItem, lines: list[ShipmentItem]) -> dict[str, Any]:
    """An order item as the items list serves it: deliveries[] and what is left to ship."""
    deliveries = item_deliveries(item, lines)
    shipped = sum(delivery["delivery_quantity"] for delivery in deliveries)
    return {
        **item_body(item),
        "deliveries": deliveries,
        "deliverable_quantity": max(item.quantity - shipped, 0),
    }


def cursor_list_body(
    key: str, entries: list[dict[str, Any]], *, self_href: str, next_href: str | None
) -> dict[str, Any]:
    links: dict[str, Any] = {"self": {"href": self_href}}
    if next_href:
        links["next"] = {"href": next_href}
    return {"_embedded": {key: entries}, "_links": links}


def page_body(
    key: str,
    entries: list[dict[str, Any]],
    *,
    total: int,
    page: int,
    per_page: int,
    total_pages: int,
    links: dict[str, str],
) -> dict[str, Any]:
    return {
        "total": total,
        "count": len(entries),
        "page": page,
        "per_page": per_page,
        "total_pages": total_pages,
        "_embedded": {key: entries},
        "_links": {name: {"href": href} for name, href in links.items()},
    }
