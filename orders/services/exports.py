"""Export of order documents, in the format import reads back unchanged."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from orders import documents as order_documents
from orders import selectors
from orders.models import Order


def orders_export(
    *,
    customer_id: str | None = None,
    orders: QuerySet[Order] | None = None,
    chunk_size: int = 500,
) -> Iterator[dict]:
    """Order documents sorted by order id (code-point order, the same on every database).

    All orders, one customer's, or those of a queryset (the admin's selection).
    """
    orders = Order.objects.all() if orders is None else orders
    if customer_id is not None:
        orders = orders.filter(customer__external_id=customer_id)
    order_ids = sorted(orders.values_list("external_id", flat=True))
    for start in range(0, len(order_ids), chunk_size):
        chunk = order_ids[start : start + chunk_size]
        loaded = (
            selectors.orders_with_documents()
            .filter(external_id__in=chunk)
            .in_bulk(field_name="external_id")
        )
        for order_id in chunk:
            yield order_documents.export_document(loaded[order_id])
