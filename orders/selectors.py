"""Reads shared by the API, the console and admin. Each owns its select_related/prefetch."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat

from orders.models import Customer, IdempotencyRecord, Order, OrderItem, StatusEvent
from orders.text import fold, to_e164


def orders_with_relations() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "shipping_address", "billing_address")


def order_get(*, customer_id: str, order_id: str, brand: str = "") -> Order | None:
    """The order of this customer (and brand, when given); None for anyone else's."""
    filters = {"external_id": order_id, "customer__external_id": customer_id}
    if brand:
        filters["brand"] = brand
    return orders_with_relations().filter(**filters).first()


def _branded(queryset: QuerySet, brand: str) -> QuerySet:
    # A resource of another brand, or with none, is filtered out when a brand is asked for.
    return queryset.filter(brand=brand) if brand else queryset


def customer_exists(*, customer_id: str) -> bool:
    return Customer.objects.filter(external_id=customer_id).exists()


def customer_get(*, customer_id: str, brand: str = "") -> Customer | None:
    """The customer with their addresses (one extra query for any number of them)."""
    customers = _branded(Customer.objects.filter(external_id=customer_id), brand)
    return customers.prefetch_related("addresses").first()


def customer_orders(*, customer_id: str, brand: str = "") -> QuerySet[Order]:
    """The customer's orders, unsorted: pagination.order_keyset sorts and slices them."""
    return _branded(orders_with_relations().filter(customer__external_id=customer_id), brand)


def orders_search(*, search: str = "", brand: str = "") -> QuerySet[Order]:
    """Every order of the account; `search` matches an order number, with or without '#'."""
    orders = _branded(orders_with_relations(), brand)
    if search:
        bare = search.strip().lstrip("#")
        orders = orders.filter(
            Q(order_number__iexact=search.strip())
            | Q(order_number__iexact=bare)
            | Q(order_number__iexact=f"#{bare}")
        )
    return orders


def order_items(*, order: Order) -> QuerySet[OrderItem]:
    return OrderItem.objects.filter(order=order)


def most_recent_order(*, customer_id: str, brand: str = "") -> Order | None:
    """The customer's latest order by purchase time, with its whole timeline, oldest first."""
    timeline = StatusEvent.objects.order_by("status_date_time", "id")
    return (
        customer_orders(customer_id=customer_id, brand=brand)
        .order_by(F("purchase_datetime").desc(nulls_last=True), F("pk").desc())
        .prefetch_related(Prefetch("status_events", queryset=timeline))
        .first()
    )


class MatchMode:
    EXACT = "exact"
    FUZZY = "fuzzy"
    CHOICES = (EXACT, FUZZY)


def customers_search(
    *,
    email: str = "",
    phone: str = "",
    name: str = "",
    match_mode: str = MatchMode.EXACT,
    brand: str = "",
    phone_region: str = "",
) -> QuerySet[Customer]:
    """Customers matching every criterion given; none given lists them all.

    email: exact, case-insensitive. phone: any common format, compared as E.164 (a text that
    is no phone number matches nobody). name, both modes case- and accent-insensitive:
    exact equals the full name, the first name or the last name; fuzzy is contained in it.
    """
    customers = _branded(Customer.objects.all(), brand)
    if email:
        customers = customers.filter(email__iexact=email.strip())
    if phone:
        e164 = to_e164(phone, region=phone_region)
        customers = customers.filter(phone_number=e164) if e164 else customers.none()
    folded = fold(name)
    if folded:
        full = Concat("first_name_folded", Value(" "), "last_name_folded")
        customers = customers.alias(full_name_folded=full)
        if match_mode == MatchMode.FUZZY:
            customers = customers.filter(full_name_folded__contains=folded)
        else:
            customers = customers.filter(
                Q(full_name_folded=folded)
                | Q(first_name_folded=folded)
                | Q(last_name_folded=folded)
            )
    return customers.order_by("external_id")


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
