"""Reads shared by the API, the console and admin. Each owns its select_related/prefetch."""

from __future__ import annotations

from django.db.models import QuerySet

from orders.models import IdempotencyRecord, Order


def orders_with_relations() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "shipping_address", "billing_address")


def order_get(*, customer_id: str, order_id: str, brand: str = "") -> Order | None:
    """The order of this customer (and brand, when given); None for anyone else's."""
    filters = {"external_id": order_id, "customer__external_id": customer_id}
    if brand:
        filters["brand"] = brand
    return orders_with_relations().filter(**filters).first()


def idempotency_get(*, client_id: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(client_id=client_id, key=key).first()
