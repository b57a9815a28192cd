"""Reads shared by the API, the console and admin. Each owns its select_related/prefetch."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from orders.models import Order, OrderItem, StatusEvent


def orders_with_relations() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "shipping_address", "billing_address")


def order_get(*, customer_id: str, order_id: str, brand: str = "") -> Order | None:
    """The order of this customer (and brand, when given); None for anyone else's."""
    filters = {"external_id": order_id, "customer__external_id": customer_id}
    if brand:
        filters["brand"] = brand
    return orders_with_relations().filter(**filters).first()


def orders_for_export() -> QuerySet[Order]:
    """Orders with everything an export document reads: four queries for any number of orders."""
    return orders_with_relations().prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("position", "id")),
        Prefetch("status_events", queryset=StatusEvent.objects.order_by("status_date_time", "id")),
    )
