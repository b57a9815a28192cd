"""Export: the stored order written as an order document."""

from __future__ import annotations

from typing import Any

from orders.documents import body
from orders.models import Order


def export_document(order: Order) -> dict[str, Any]:
    """The stored order as a document. Needs customer, addresses, items, events and
    shipments (with their lines and events) loaded: selectors.orders_with_documents."""
    document = body.order_body(order, derived=False)
    document["customer"] = body.customer_body(order.customer)
    document["items"] = [body.item_body(item, derived=False) for item in order.items.all()]
    document["status_history"] = [
        body.status_event_body(event) for event in order.status_events.all()
    ]
    shipments = [body.shipment_document(shipment) for shipment in order.shipments.all()]
    if shipments:
        # Written only when there are parcels, so documents of orders without any keep
        # the shape they had before shipments existed.
        document["shipments"] = shipments
    return document
