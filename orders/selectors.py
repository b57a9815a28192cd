"""Reads shared by the API, the console and admin. Each owns its select_related/prefetch."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import Prefetch, QuerySet

from orders.models import Customer, IdempotencyRecord, Order, OrderItem, StatusEvent


def orders_with_relations() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "shipping_address", "billing_address")


def order_get(*, customer_id: str, order_id: str, brand: str = "") -> Order | None:
    """The order of this customer (and brand, when given); None for anyone else's."""
    filters = {"external_id": order_id, "customer__external_id": customer_id}
    if brand:
        filters["brand"] = brand
    return orders_with_relations().filter(**filters).first()


def orders_for_export() -> QuerySet[Order]:
    """Orders with everything an export document reads: three queries per chunk of orders."""
    return orders_with_relations().prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("position", "id")),
        Prefetch("status_events", queryset=StatusEvent.objects.order_by("status_date_time", "id")),
    )


def idempotency_get(*, client_id: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(client_id=client_id, key=key).first()


@cache
def _document_sql(with_brand: bool) -> str:
    quote = connection.ops.quote_name
    order_table, customer_table = quote(Order._meta.db_table), quote(Customer._meta.db_table)
    sql = (
        f"SELECT o.{quote('document')} FROM {order_table} o"
        f" INNER JOIN {customer_table} c ON c.{quote('id')} = o.{quote('customer_id')}"
        f" WHERE o.{quote('external_id')} = %s AND c.{quote('external_id')} = %s"
    )
    return sql + f" AND o.{quote('brand')} = %s" if with_brand else sql


def order_document_get(*, customer_id: str, order_id: str, brand: str = "") -> str | None:
    """The stored API document of this customer's order (brand-checked), or None.

    One hand-written SELECT on two unique indexes: the ORM's query compilation costs more
    than the query itself on this path. An empty string means "not rendered yet".
    """
    params = [order_id, customer_id, brand] if brand else [order_id, customer_id]
    with connection.cursor() as cursor:
        cursor.execute(_document_sql(bool(brand)), params)
        row = cursor.fetchone()
    return row[0] if row else None
