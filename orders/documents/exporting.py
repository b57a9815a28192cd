"""Export: the stored order written as an order document."""

from __future__ import annotations

from typing import Any

from orders.documents import body
from orders.models import Order


def export_document(order: Order) -> dict[str, Any]:
    """The stored order as a document. Needs customer, addresses, items and events loaded."""
    document = body.order_body(order, derived=False)
    document["customer"] = body.customer_body(order.customer)
    document["items"] = [body.item_body(item, derived=False) for item in order.items.all()]
    document["status_history"] = [
        body.status_event_body(event) for event in order.status_events.all()
    ]
    return document
