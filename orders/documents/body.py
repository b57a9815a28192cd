"""The ERC resource bodies every face shares: the stored API document, export and the API.

Plain functions: no queries. Beyond "omit when empty", the only decisions are the action
flags and statuses, and those come from rules.actions, the rules the actions themselves use.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orders.models import (
    Address,
    Customer,
    Order,
    OrderItem,
    Shipment,
    ShipmentEvent,
    StatusEvent,
)
from orders.rules import actions
from orders.rules.cards import masked
from orders.rules.times import rfc3339


def money(value: Decimal | None, currency: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": value, "currency": currency}


def compact(data: dict[str, Any]) -> dict[str, Any]:
    # The contract omits optional fields with no value instead of sending null or "".
    return {key: value for key, value in data.items() if value not in (None, "", {}, [])}


def address_body(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    body = compact(
        {
            "id": address.external_id,
            "first_name": address.first_name,
            "last_name": address.last_name,
            "phone_number": address.phone_number,
            "address": address.address,
            "zip_code": address.zip_code,
            "city": address.city,
            "region_code": address.region_code,
            "country_code": address.country_code,
        }
    )
    body["default"] = address.is_default
    return body


def price_summary_body(order: Order, *, derived: bool = True) -> dict[str, Any] | None:
    if order.original_total_amount is None or order.final_total_amount is None:
        return None
    amounts = {
        **order.amounts(),
        "total_refunded_amount": order.total_refunded_amount,
        "net_payment_amount": order.net_payment_amount if derived else None,
    }
    return compact({name: money(value, order.currency) for name, value in amounts.items()})


def custom_fields_body(fields: dict[str, Any]) -> dict[str, Any]:
    # Code-point order of keys whatever the database kept (PostgreSQL's jsonb reorders them),
    # so a document renders to the same bytes on every database.
    return dict(sorted(fields.items())) if fields else {}


def order_flags(order: Order) -> dict[str, Any]:
    """What a client may do with the order, and how far it got: always present."""
    return {
        "is_cancellable": actions.can_cancel(order),
        "is_change_shipping_address_allowed": actions.can_change_shipping_address(order),
        # Refunds and returns are not actions of ercdash (yet).
        "is_refundable": False,
        "is_returnable": False,
        # From the parcels (shipped vs ordered quantities; the latest parcel's detailed type,
        # omitted until the order has one), stored by services.order_refresh.
        "fulfillment_status": fulfillment_status(order),
        "delivery_status": delivery_status(order),
    }


def payment_details_body(order: Order) -> dict[str, Any] | None:
    body = compact(
        {
            "card_brand": order.card_brand,
            "card_brand_image_url": order.card_brand_image_url,
            "card_number": masked(order.card_last4),
        }
    )
    if order.is_refunded is not None:
        body["is_refunded"] = order.is_refunded
    return body or None


def status_body(
    generic_type: str, detailed_type: str, at: datetime | None, description: str = ""
) -> dict[str, Any]:
    return compact(
        {
            "generic_type": generic_type,
            "detailed_type": detailed_type,
            "status_date_time": rfc3339(at) if at else None,
            "description": description,
        }
    )


def status_event_body(event: StatusEvent) -> dict[str, Any]:
    return status_body(
        event.generic_type, event.detailed_type, event.status_date_time, event.description
    )


def latest_status_body(order: Order) -> dict[str, Any] | None:
    if not order.latest_generic_type:
        return None
    return status_body(
        order.latest_generic_type,
        order.latest_detailed_type,
        order.latest_status_at,
        order.latest_status_description,
    )


def fulfillment_status(order: Order) -> str:
    """UNFULFILLED, PARTIALLY_FULFILLED or FULFILLED: kept by services.order_refresh."""
    return order.fulfillment_status


def delivery_status(order: Order) -> str:
    """The latest shipment's detailed type ("" without one): kept by services.order_refresh."""
    return order.delivery_status


def order_body(order: Order, *, self_href: str | None = None, derived: bool = True) -> dict:
    """The ERC order body (seed field order).

    With derived=False it is the base of an export document: stored values only, so
    items_number and the highlighted image appear only when stored, and no latest status,
    action flags, fulfillment status or net payment.
    """
    extra_info = {
        "highlighted_item_image_url": (
            order.highlighted_image if derived else order.highlighted_item_image_url
        ),
        "latest_status_info": latest_status_body(order) if derived else None,
    }
    body = compact(
        {
            "id": order.external_id,
            "order_number": order.order_number,
            "customer_id": order.customer.external_id,
            "brand": order.brand,
            "purchase_datetime": (
                rfc3339(order.purchase_datetime) if order.purchase_datetime else None
            ),
            "delivery_type": order.delivery_type,
            "shipping_address": address_body(order.shipping_address),
            "billing_address": address_body(order.billing_address),
            "items_number": order.items_count if derived else order.items_number,
            "price_summary": price_summary_body(order, derived=derived),
            "payment_details": payment_details_body(order),
            "order_extra_info": compact(extra_info),
            "cancellation_status": order.cancellation_status,
            **(order_flags(order) if derived else {}),
            "payment_status": order.payment_status,
            "status": order.status,
            "custom_fields": custom_fields_body(order.custom_fields),
        }
    )
    if self_href is not None:
        body["_links"] = {"self": {"href": self_href}}
    return body


def item_body(item: OrderItem, *, derived: bool = True) -> dict[str, Any]:
    """An order item; with derived=False the export's item (stored values only)."""
    body = compact(
        {
            "id": item.external_id,
            "name": item.name,
            "sku": item.sku,
            "quantity": item.quantity,
            "price": money(item.price, item.currency),
            "image_url": item.image_url,
            "description": item.description,
        }
    )
    if derived:
        # Talkdesk's item requires a name: an item stored without one has the empty name.
        body = {"id": body.pop("id"), "name": item.name, **body}
        # deliveries[] and deliverable_quantity come from the parcels:
        # api.shapes.item_with_deliveries.
    return body


def customer_body(customer: Customer) -> dict[str, Any]:
    return compact(
        {
            "id": customer.external_id,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "phone_number": customer.phone_number,
            "brand": customer.brand,
            "customer_since": rfc3339(customer.customer_since) if customer.customer_since else None,
            "custom_fields": custom_fields_body(customer.custom_fields),
            "integration_info": integration_info_body(customer),
        }
    )


def integration_info_body(customer: Customer) -> dict[str, str] | None:
    """The customer's page in the system they came from (a connector's admin), when known."""
    if not customer.integration_url:
        return None
    return {"external_url": customer.integration_url, "type": customer.integration_type}


def shipment_event_body(event: ShipmentEvent) -> dict[str, Any]:
    return compact(
        {
            "detailed_type": event.detailed_type,
            "status_date_time": rfc3339(event.status_date_time),
            "description": event.description,
            "location": event.location,
        }
    )


def shipment_document(shipment: Shipment) -> dict[str, Any]:
    """A shipment as order documents hold it: stored values only (the stored tracking URL,
    never the one the carrier data set builds). Needs lines (with items) and events loaded."""
    body = compact(
        {
            "id": shipment.external_id,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "service_level": shipment.service_level,
            "shipping_date": rfc3339(shipment.shipping_date) if shipment.shipping_date else None,
            "delivery_date_start": (
                rfc3339(shipment.delivery_date_start) if shipment.delivery_date_start else None
            ),
            "delivery_date_end": (
                rfc3339(shipment.delivery_date_end) if shipment.delivery_date_end else None
            ),
        }
    )
    body["items"] = [
        {"item_id": line.item.external_id, "quantity": line.quantity}
        for line in shipment.lines.all()
    ]
    body["status_history"] = [shipment_event_body(event) for event in shipment.events.all()]
    return body
