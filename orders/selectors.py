"""Reads shared by the API, the console and admin. Each owns its select_related/prefetch."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Concat, Upper

from orders import rows
from orders.models import (
    Address,
    CancellationStatus,
    Customer,
    Order,
    OrderItem,
    Shipment,
    ShipmentEvent,
    ShipmentItem,
    StatusEvent,
)
from orders.rules import carriers, phones
from orders.rules.ids import ID_RE
from orders.rules.shipments import normalize_tracking_number, tracking_key
from orders.rules.text import fold

_DAY = timedelta(days=1)


def orders_with_relations() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "shipping_address", "billing_address")


# Reads of the API take two brand arguments: `brand`, the caller's optional filter, and
# `brands`, the brands an API client is limited to (empty: every brand).


def order_get(
    *, customer_id: str, order_id: str, brand: str = "", brands: Collection[str] = ()
) -> Order | None:
    """The order of this customer (and brand, when given); None for anyone else's."""
    orders = orders_with_relations().filter(external_id=order_id, customer__external_id=customer_id)
    return _branded(orders, brand, brands).first()


def _branded(queryset: QuerySet, brand: str, brands: Collection[str] = ()) -> QuerySet:
    # A resource of another brand, or with none, is filtered out when a brand is asked for,
    # and when the client is limited to brands.
    if brand:
        queryset = queryset.filter(brand=brand)
    if brands:
        queryset = queryset.filter(brand__in=sorted(brands))
    return queryset


def customer_exists(*, customer_id: str, brands: Collection[str] = ()) -> bool:
    """Whether the customer exists, for a client limited to `brands`: of one of them, or with
    an order of one of them (a customer shared by several shops carries no brand)."""
    customers = Customer.objects.filter(external_id=customer_id)
    if brands:
        allowed = sorted(brands)
        customers = customers.filter(Q(brand__in=allowed) | Q(orders__brand__in=allowed))
    return customers.exists()


def _order_number_search(orders: QuerySet[Order], search: str) -> QuerySet[Order]:
    """Orders whose number is `search`, case-insensitive, with or without the leading '#'."""
    if not search:
        return orders
    bare = search.strip().lstrip("#")
    return orders.filter(
        Q(order_number__iexact=search.strip())
        | Q(order_number__iexact=bare)
        | Q(order_number__iexact=f"#{bare}")
    )


def customer_orders_query(
    *, customer_id: str, brand: str = "", brands: Collection[str] = (), search: str = ""
) -> QuerySet[Order]:
    """The customer's orders (matching `search`, an order number), unsorted:
    pagination.order_keyset sorts and slices them."""
    orders = orders_with_relations().filter(customer__external_id=customer_id)
    return _order_number_search(_branded(orders, brand, brands), search)


def orders_search(
    *, search: str = "", brand: str = "", brands: Collection[str] = ()
) -> QuerySet[Order]:
    """Every order of the account; `search` matches an order number, with or without '#'."""
    return _order_number_search(_branded(orders_with_relations(), brand, brands), search)


def order_list_entries(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Only what an order-list entry needs: the stored document, the ids of its link and the
    sort keys; the addresses a rendered body would join are already in the document."""
    return (
        orders.select_related(None)
        .select_related("customer")
        .only("external_id", "purchase_datetime", "document", "customer__external_id")
    )


def order_items_query(
    *,
    order: Order,
    carrier: str = "",
    delivery_type: str = "",
    delivery_date_start: datetime | None = None,
    delivery_date_end: datetime | None = None,
    shipping_date: datetime | None = None,
) -> QuerySet[OrderItem]:
    """The order's items, unsorted: pagination.item_keyset sorts and slices them.

    The delivery filters keep the items with one parcel matching all of them: its carrier
    (any case), its window starting at or after delivery_date_start and ending at or before
    delivery_date_end, its shipping on shipping_date's UTC day. delivery_type is the order's.
    """
    items = OrderItem.objects.filter(order=order)
    if delivery_type and order.delivery_type != delivery_type:
        return items.none()
    parcel = Q()
    if carrier:
        parcel &= Q(shipment__carrier__iexact=carrier)
    if delivery_date_start is not None:
        parcel &= Q(shipment__delivery_date_start__gte=delivery_date_start)
    if delivery_date_end is not None:
        parcel &= Q(shipment__delivery_date_end__lte=delivery_date_end)
    if shipping_date is not None:
        day = shipping_date.replace(hour=0, minute=0, second=0, microsecond=0)
        parcel &= Q(shipment__shipping_date__gte=day, shipment__shipping_date__lt=day + _DAY)
    if parcel:
        lines = ShipmentItem.objects.filter(parcel, item=OuterRef("pk"))
        items = items.filter(Exists(lines))
    return items


def most_recent_order(
    *, customer_id: str, brand: str = "", brands: Collection[str] = ()
) -> Order | None:
    """The customer's latest order by purchase time, with its whole timeline, oldest first,
    and its parcels (tracking_info is the latest one's)."""
    timeline = StatusEvent.objects.order_by("status_date_time", "id")
    return (
        customer_orders_query(customer_id=customer_id, brand=brand, brands=brands)
        .defer("document")  # this body adds the whole timeline: it is rendered, not stored
        .select_related("derived_highlighted_item")
        .order_by(F("purchase_datetime").desc(nulls_last=True), F("pk").desc())
        .prefetch_related(
            Prefetch("status_events", queryset=timeline),
            Prefetch("shipments", queryset=Shipment.objects.order_by("position", "id")),
            Prefetch(
                "derived_highlighted_item__shipment_lines",
                queryset=ShipmentItem.objects.select_related("shipment").order_by(
                    "shipment__position", "shipment_id", "id"
                ),
            ),
        )
        .first()
    )


def shipments_by_tracking_number(shipments: QuerySet[Shipment], number: str) -> QuerySet:
    """Those with this tracking number, whatever its case or spaces (the UPPER index)."""
    return shipments.alias(tracking_upper=Upper("tracking_number")).filter(
        tracking_upper=tracking_key(number)
    )


def customer_shipments_query(
    *,
    customer_id: str,
    brand: str = "",
    brands: Collection[str] = (),
    order_ids: list[str] | None = None,
    tracking_number: str = "",
    shipping_provider: str = "",
    delivery_statuses: list[str] | None = None,
) -> QuerySet[Shipment]:
    """The customer's parcels, filtered (order_ids None: any order), unsorted (sorted by
    pagination.shipment_keyset), with what their body needs: order, customer, shipping
    address and lines with items. A client limited to `brands` sees only the parcels of
    orders of those brands."""
    shipments = Shipment.objects.select_related(
        "order", "order__customer", "order__shipping_address"
    ).filter(order__customer__external_id=customer_id)
    if brand:
        shipments = shipments.filter(order__brand=brand)
    if brands:
        shipments = shipments.filter(order__brand__in=sorted(brands))
    if order_ids is not None:  # [] asks for nothing
        shipments = shipments.filter(order__external_id__in=order_ids)
    if tracking_number:
        shipments = shipments_by_tracking_number(shipments, tracking_number)
    if shipping_provider:
        shipments = shipments.filter(carrier__iexact=shipping_provider.strip())
    if delivery_statuses:
        # A parcel without events is UNKNOWN on the wire.
        statuses = [*delivery_statuses, ""] if "UNKNOWN" in delivery_statuses else delivery_statuses
        shipments = shipments.filter(latest_detailed_type__in=statuses)
    return shipments.prefetch_related(
        Prefetch("lines", queryset=ShipmentItem.objects.select_related("item").order_by("id"))
    )


def item_shipment_lines(*, items: list[OrderItem]) -> list[ShipmentItem]:
    """The parcels these items travel in (one query), in the order's parcel order."""
    if not items:
        return []
    return list(
        ShipmentItem.objects.filter(item__in=items)
        .select_related("shipment")
        .order_by("shipment__position", "shipment_id", "id")
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
    brands: Collection[str] = (),
    ids: list[str] | None = None,
) -> QuerySet[Customer]:
    """Customers matching every criterion given; none given lists them all.

    ids: only these customer ids (an empty list is no restriction).
    email: exact, case-insensitive. phone: any common format, compared as E.164 (a text that
    is no phone number matches nobody). name, both modes case- and accent-insensitive:
    exact equals the full name, the first name or the last name; fuzzy is contained in it.
    """
    customers = _branded(Customer.objects.all(), brand, brands)
    if ids:
        customers = customers.filter(external_id__in=set(ids))
    if email:
        customers = customers.filter(email__iexact=email.strip())
    if phone:
        # National formats are read in settings.ERCDASH_DEFAULT_PHONE_REGION.
        e164 = phone_to_e164(phone)
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


@cache
def _document_sql(with_brand: bool, allowed_brands: int = 0) -> str:
    quote = connection.ops.quote_name
    order_table, customer_table = quote(Order._meta.db_table), quote(Customer._meta.db_table)
    sql = (
        f"SELECT o.{quote('document')} FROM {order_table} o"
        f" INNER JOIN {customer_table} c ON c.{quote('id')} = o.{quote('customer_id')}"
        f" WHERE o.{quote('external_id')} = %s AND c.{quote('external_id')} = %s"
    )
    if with_brand:
        sql += f" AND o.{quote('brand')} = %s"
    if allowed_brands:
        sql += f" AND o.{quote('brand')} IN ({', '.join(['%s'] * allowed_brands)})"
    return sql


def order_document_query(
    *, customer_id: str, order_id: str, brand: str = "", brands: Collection[str] = ()
) -> tuple[str, list]:
    """SQL and parameters selecting the stored API document of this customer's order."""
    params = [order_id, customer_id, *([brand] if brand else []), *sorted(brands)]
    return _document_sql(bool(brand), len(brands)), params


def order_document_get(
    *, customer_id: str, order_id: str, brand: str = "", brands: Collection[str] = ()
) -> str | None:
    """The stored API document of this customer's order (brand-checked), or None.

    One hand-written SELECT on two unique indexes: the ORM's query compilation costs more
    than the query itself on this path. An empty string means "not rendered yet".
    """
    sql, params = order_document_query(
        customer_id=customer_id, order_id=order_id, brand=brand, brands=brands
    )
    # Raw SQL bypasses the database routers: ask them, so reads can go to a replica.
    with connections[router.db_for_read(Order)].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def order_reads_use_default_database() -> bool:
    return router.db_for_read(Order) == DEFAULT_DB_ALIAS


# --- Agent console ------------------------------------------------------------------------

SEARCH_LIMIT = 20
# Characters a human puts in a phone number: "+351 910-000-000", "(91) 000 00 00", "0049 30 …".
_PHONE_CHARS_RE = re.compile(r"^[0-9 ().\-/+]+$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


class QueryKind(StrEnum):
    EMPTY = "empty"
    EMAIL = "email"
    PHONE = "phone"
    ORDER_NUMBER = "order_number"
    # A single id-like token: a customer id, an order id, an order number typed without '#'
    # or a tracking number the carrier data set does not know.
    REFERENCE = "reference"
    # A number that passes a carrier's format and check digit, typed with or without spaces.
    TRACKING_NUMBER = "tracking_number"
    NAME = "name"


@dataclass(frozen=True)
class SearchQuery:
    kind: QueryKind
    value: str  # normalised: lower-cased email, E.164 phone, stripped text
    raw: str


@dataclass(frozen=True)
class SearchHit:
    customer: Customer
    order: Order | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.customer.external_id, self.order.external_id if self.order else "")


def phone_to_e164(raw: str, *, region: str | None = None) -> str:
    """E.164 for a phone number typed in any common format, or "" when it is not one."""
    return phones.to_e164(raw, region or settings.ERCDASH_DEFAULT_PHONE_REGION) or ""


def search_classify(raw: str) -> SearchQuery:
    """What an agent typed: an order number, email, phone, id-like reference or a name."""
    text = " ".join(raw.split())
    if not text:
        return SearchQuery(QueryKind.EMPTY, "", raw)
    if text.startswith("#"):
        return SearchQuery(QueryKind.ORDER_NUMBER, text, raw)
    if "@" in text and _EMAIL_RE.match(text):
        return SearchQuery(QueryKind.EMAIL, text.lower(), raw)
    if _PHONE_CHARS_RE.match(text) and text.count("+") <= 1 and sum(map(str.isdigit, text)) >= 6:
        e164 = phone_to_e164(text)
        if e164:
            return SearchQuery(QueryKind.PHONE, e164, raw)
    compact = normalize_tracking_number(text)
    if len(compact) >= 8 and carriers.number_recognised(compact):
        return SearchQuery(QueryKind.TRACKING_NUMBER, compact, raw)
    if " " not in text and ID_RE.match(text):
        return SearchQuery(QueryKind.REFERENCE, text, raw)
    return SearchQuery(QueryKind.NAME, text, raw)


def _shipped_as(number: str) -> Q:
    """Orders with a parcel of this tracking number (one subquery on the UPPER index)."""
    parcels = shipments_by_tracking_number(Shipment.objects.all(), number)
    return Q(pk__in=parcels.values("order_id"))


def _reference_orders(value: str) -> Q:
    return (
        Q(external_id=value)
        | Q(order_number__iexact=value)
        | Q(order_number__iexact="#" + value)
        | _shipped_as(value)
    )


def _name_filter(text: str) -> Q:
    condition = Q()
    for term in text.split()[:4]:
        condition &= Q(first_name__icontains=term) | Q(last_name__icontains=term)
    return condition


def console_search(query: SearchQuery, *, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Customers and orders matching the query; at most two queries, whatever it finds
    (tracking numbers are a subquery of the orders' one)."""
    customers = Customer.objects.none()
    orders = Order.objects.none()
    if query.kind == QueryKind.EMAIL:
        customers = Customer.objects.filter(email__iexact=query.value)
    elif query.kind == QueryKind.PHONE:
        customers = Customer.objects.filter(phone_number=query.value)
        # All-digit order and tracking numbers can look like phone numbers.
        raw = query.raw.strip()
        orders = Order.objects.filter(Q(order_number=raw) | _shipped_as(raw))
    elif query.kind == QueryKind.ORDER_NUMBER:
        bare = query.value[1:]
        orders = Order.objects.filter(
            Q(order_number__iexact=query.value) | Q(order_number__iexact=bare)
        )
    elif query.kind == QueryKind.REFERENCE:
        value = query.value
        customers = Customer.objects.filter(Q(external_id=value) | _name_filter(value))
        orders = Order.objects.filter(_reference_orders(value))
    elif query.kind == QueryKind.TRACKING_NUMBER:
        # Still an id-like token: a customer or order id may look like a tracking number.
        customers = Customer.objects.filter(external_id=query.value)
        orders = Order.objects.filter(_reference_orders(query.value))
    elif query.kind == QueryKind.NAME:
        customers = Customer.objects.filter(_name_filter(query.value))

    hits: list[SearchHit] = [
        SearchHit(order.customer, order)
        for order in orders.select_related("customer")
        .defer("document")
        .order_by("-purchase_datetime", "-id")[:limit]
    ]
    for customer in customers.order_by("last_name", "first_name", "external_id")[:limit]:
        hits.append(SearchHit(customer))
    return hits[:limit]


def console_lookup(
    *, phone: str = "", email: str = "", order_number: str = "", tracking_number: str = ""
) -> list[SearchHit]:
    """Screen-pop: the customers (phone, email) or orders (order or tracking number) a
    desktop asks for."""
    if tracking_number:
        orders = Order.objects.filter(_shipped_as(tracking_number))
        return [
            SearchHit(order.customer, order)
            for order in orders.select_related("customer")
            .defer("document")
            .order_by("-purchase_datetime", "-id")[:SEARCH_LIMIT]
        ]
    if order_number:
        number = order_number.strip()
        kind = QueryKind.ORDER_NUMBER if number.startswith("#") else QueryKind.REFERENCE
        hits = console_search(SearchQuery(kind, number, number))
        return [hit for hit in hits if hit.order is not None]
    if email:
        return console_search(SearchQuery(QueryKind.EMAIL, email.strip().lower(), email))
    if phone:
        e164 = phone_to_e164(phone)
        return console_search(SearchQuery(QueryKind.PHONE, e164, phone)) if e164 else []
    return []


def customer_get(
    *, customer_id: str, brand: str = "", brands: Collection[str] = (), order_value: bool = False
) -> Customer | None:
    """A customer (of this brand, when given) with their addresses (two queries).

    order_value adds, in the same first query, the sum, count and currencies of the final
    totals of their orders that are not canceled (of the brand, when given):
    order_total, order_count, order_currencies and order_currency.
    """
    customers = _branded(Customer.objects.filter(external_id=customer_id), brand, brands)
    if order_value:
        counted = Q(
            orders__final_total_amount__isnull=False,
            orders__cancellation_status__in=["", CancellationStatus.UNKNOWN],
        )
        if brand:
            counted &= Q(orders__brand=brand)
        if brands:  # a brand-limited client averages only the orders it may see
            counted &= Q(orders__brand__in=sorted(brands))
        customers = customers.annotate(
            order_total=Sum("orders__final_total_amount", filter=counted),
            order_count=Count("orders", filter=counted),
            order_currencies=Count("orders__currency", filter=counted, distinct=True),
            order_currency=Max("orders__currency", filter=counted),
        )
    return customers.prefetch_related(
        Prefetch("addresses", queryset=Address.objects.order_by("-is_default", "id"))
    ).first()


def customer_orders(*, customer: Customer, offset: int, limit: int) -> tuple[list[Order], bool]:
    """One page of a customer's orders, newest first, and whether more follow (one query)."""
    rows = list(
        Order.objects.filter(customer=customer)
        .defer("document")
        .order_by("-purchase_datetime", "-id")[offset : offset + limit + 1]
    )
    return rows[:limit], len(rows) > limit


def console_order_get(*, customer_id: str, order_id: str) -> Order | None:
    """The order of this customer with addresses (one query); timeline and items come apart.

    Pages never show the stored API document, but the order page keys its cached panels on
    it (console.panels): every write path refreshes it."""
    # Unique ids: no ORDER BY to compile or run.
    orders = orders_with_relations().filter(external_id=order_id, customer__external_id=customer_id)
    return next(iter(orders.order_by()[:1]), None)


# What presenters.timeline_version reads: the timeline's refresh compares them first.
TIMELINE_VERSION_FIELDS = (
    "updated_at",
    "latest_status_at",
    "latest_generic_type",
    "latest_detailed_type",
    "cancellation_status",
)


_STAMP_FIELDS = rows.field_names(Order, frozenset({"id", *TIMELINE_VERSION_FIELDS}))


@cache
def _stamp_sql() -> str:
    quote = connection.ops.quote_name
    order_table, customer_table = quote(Order._meta.db_table), quote(Customer._meta.db_table)
    return (
        f"SELECT {rows.columns(Order, _STAMP_FIELDS, 'o', quote)} FROM {order_table} o"
        f" INNER JOIN {customer_table} c ON c.{quote('id')} = o.{quote('customer_id')}"
        f" WHERE o.{quote('external_id')} = %s AND c.{quote('external_id')} = %s"
    )


def console_order_stamp(*, customer_id: str, order_id: str) -> Order | None:
    """Only the fields the timeline's version is made of, of this customer's order: the
    refresh answers "unchanged" without loading the order, its customer and addresses.

    Hand-written, by a cursor: the timeline polls every few seconds on every open order page,
    and compiling the ORM's query (or mapping a raw queryset's columns) would cost more than
    the indexed lookup itself."""
    # Raw SQL bypasses the database routers: ask them, so reads can go to a replica.
    database = router.db_for_read(Order)
    with connections[database].cursor() as cursor:
        cursor.execute(_stamp_sql(), [order_id, customer_id])
        row = cursor.fetchone()
    return rows.instance(Order, _STAMP_FIELDS, row, database) if row else None


def order_items(*, order: Order) -> list[OrderItem]:
    return list(order.items.order_by("position", "id"))


def order_shipments(*, order: Order) -> list[Shipment]:
    """The order's parcels in document order, with lines (and items) and events, oldest
    first: one query without parcels, three with."""
    return list(shipments_with_history().filter(order=order))


def order_timeline(*, order: Order) -> list[StatusEvent]:
    """Status events oldest first; ties go to the event recorded first."""
    return list(order.status_events.order_by("status_date_time", "id"))


def orders_with_documents() -> QuerySet[Order]:
    """Orders with everything an order document holds: customer, addresses, items, events
    and shipments (their lines and events cost a query each only when there are parcels)."""
    return orders_with_relations().prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("position", "id")),
        Prefetch("status_events", queryset=StatusEvent.objects.order_by("status_date_time", "id")),
        Prefetch("shipments", queryset=shipments_with_history()),
    )


def shipments_with_history() -> QuerySet[Shipment]:
    """Shipments in document order, with their lines (and items) and events, oldest first."""
    return Shipment.objects.order_by("position", "id").prefetch_related(
        Prefetch("lines", queryset=ShipmentItem.objects.select_related("item").order_by("id")),
        Prefetch("events", queryset=ShipmentEvent.objects.order_by("status_date_time", "id")),
    )
