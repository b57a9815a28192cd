"""Import of order documents (docs/data.md): upsert by order id in short write transactions."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from orders import documents as order_documents
from orders import selectors
from orders.documents import body
from orders.documents.body import address_body, customer_body, shipment_event_body
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
from orders.services import bulk, validation
from orders.services.documents import (
    new_order_derive,
    order_refresh,
    orders_embedding,
    orders_refresh,
    orders_refresh_documents,
)
from orders.services.transactions import lost_lock_race, retrying


@dataclass
class RecordError:
    record: int  # 1-based position in the input
    field: str  # dotted path, e.g. items.0.quantity; "" for the record as a whole
    description: str  # never repeats the offending value


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RecordError] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


class RecordRejected(Exception):
    def __init__(self, field_path: str, description: str) -> None:
        super().__init__(description)
        self.field = field_path
        self.description = description


# Records read, validated and compared with the stored orders at a time (outside any
# transaction); memory stays flat whatever the size of the input.
IMPORT_CHUNK = 1000
# A write transaction should last about WRITE_SECONDS: a waiting writer (an agent's audit
# row, a cancel) then gets the lock within about that. Records are written in batches (a few
# statements for the whole batch); the size of the next batch follows how long the last one
# took, between MIN_BATCH records (a transaction costs a commit and a few lookups whatever
# its size: fewer records would not make it much shorter) and WRITE_BATCH.
WRITE_SECONDS = 0.05
FIRST_BATCH = 20
MIN_BATCH = 10
WRITE_BATCH = 500
# A transaction keeps trying this long to get its locks (another import, a long admin job).
WRITE_RETRY_SECONDS = 60.0
clock = time.monotonic  # patched by tests

Outcome = tuple[str, list[tuple[str, str]]]  # ("created"|..., problems)


class WritePace:
    """The size of the next write transaction, from how long the last one took."""

    def __init__(self) -> None:
        self.size = max(1, min(FIRST_BATCH, WRITE_BATCH))

    def took(self, records: int, seconds: float) -> None:
        grown = min(WRITE_BATCH, 2 * records)  # grows gently, shrinks at once
        fits = int(records * WRITE_SECONDS / seconds) if seconds > 0 else grown
        self.size = max(1, min(MIN_BATCH, WRITE_BATCH), min(grown, fits))


def orders_import(
    *, documents: Iterable[Any], dry_run: bool = False, parallel: bool = False
) -> ImportResult:
    """Upsert order documents by order id in short write transactions; dry_run rolls back.

    Records are validated first, then written in batches, each batch in one short
    transaction (WRITE_SECONDS), so readers and other writers are never held up for long; a
    rejected record changes nothing and the records around it are written. A dry run writes
    each record in a transaction of its own and rolls it back: it checks each record against
    the database as it is, without the records before it in the same file. With `parallel`
    (the import commands), a big input is read and validated in a second process while this
    one writes (services.validation).
    """
    records = (
        record
        if isinstance(record, order_documents.RawRecord)
        else order_documents.RawRecord(n, record)
        for n, record in enumerate(documents, 1)
    )
    return import_prepared(
        validation.prepared_chunks(records, size=IMPORT_CHUNK, parallel=parallel),
        dry_run=dry_run,
    )


def import_prepared(
    chunks: Iterable[list[validation.Prepared]],
    *,
    dry_run: bool = False,
    pace: WritePace | None = None,
) -> ImportResult:
    """orders_import of records already validated (validation.prepare), chunk by chunk; a
    caller importing in several calls passes the same pace to each."""
    result = ImportResult()
    pace = pace or WritePace()
    for prepared in chunks:
        _import_chunk(prepared, result, dry_run=dry_run, pace=pace)
    return result


def _import_chunk(
    prepared: list[validation.Prepared], result: ImportResult, *, dry_run: bool, pace: WritePace
) -> None:
    # The stored orders of the whole chunk in four queries, outside any transaction: a
    # re-import that changes nothing costs no per-record query and takes no write lock. A
    # record whose order or customer an earlier record of the chunk writes is not decided
    # here: it is compared again inside its write transaction, with those writes in view.
    order_ids = [document["id"] for _, document, _ in prepared if document]
    preloaded = (
        selectors.orders_with_documents()
        .filter(external_id__in=order_ids)
        .in_bulk(field_name="external_id")
    )
    outcomes: dict[int, Outcome] = {}
    to_write: list[tuple[int, dict[str, Any]]] = []
    written_orders: set[str] = set()
    written_customers: set[str] = set()
    for position, document, problems in prepared:
        if document is None:
            outcomes[position] = ("", problems)
            continue
        order = preloaded.get(document["id"])
        if document["id"] not in written_orders and document["customer_id"] not in (
            written_customers
        ):
            try:
                if _order_unchanged(_with_local_changes(document, order), order):
                    outcomes[position] = ("unchanged", [])
                    continue
            except RecordRejected as exc:
                outcomes[position] = ("", [(exc.field, exc.description)])
                continue
        to_write.append((position, document))
        written_orders.add(document["id"])
        written_customers.add(document["customer_id"])
    while to_write:
        written = _write_some(to_write, dry_run=dry_run, pace=pace, preloaded=preloaded)
        outcomes.update(written)
        to_write = to_write[len(written) :]

    for position in sorted(outcomes):
        outcome, problems = outcomes[position]
        if problems:
            result.rejected += 1
            result.errors.extend(RecordError(position, *problem) for problem in problems)
        else:
            setattr(result, outcome, getattr(result, outcome) + 1)


def _write_some(
    pending: list[tuple[int, dict[str, Any]]],
    *,
    dry_run: bool,
    pace: WritePace,
    preloaded: dict[str, Order] | None = None,
) -> dict[int, Outcome]:
    """Write the first pending records (pace.size, or fewer) in one short transaction; their
    outcomes.

    The records are written as one batch. If the database refuses the batch (a constraint
    that validation could not see), it is rolled back and its records are written one by one,
    each in a savepoint, so that only the record at fault is rejected. The transaction is
    retried as a whole if it loses a race for a lock, and its outcomes only count once it is
    over, so a retried record counts once.
    """

    def write() -> dict[int, Outcome]:
        if dry_run:
            # A dry run checks each record on its own against the database as it is: the
            # same answer however the records would have fallen into transactions.
            outcomes = {pending[0][0]: _write_one(pending[0][1])}
            transaction.set_rollback(True)
            return outcomes
        # Timed from the moment the transaction holds its locks (not the wait for them).
        started = clock()
        batch = pending[: pace.size]
        try:
            with transaction.atomic():
                outcomes = _write_batch(batch, preloaded)
        except DatabaseError as exc:
            if lost_lock_race(exc):
                raise  # the whole transaction is tried again
            outcomes = {position: _write_one(document) for position, document in batch}
        pace.took(len(outcomes), clock() - started)
        return outcomes

    return retrying(write, seconds=WRITE_RETRY_SECONDS)


def _write_one(document: dict[str, Any]) -> Outcome:
    """Write one record in a savepoint of its own; its outcome."""
    try:
        order = selectors.orders_with_documents().filter(external_id=document["id"]).first()
        document = _with_local_changes(document, order)
        if _order_unchanged(document, order):
            return ("unchanged", [])
        with transaction.atomic():
            return (_order_write(document, order), [])
    except RecordRejected as exc:
        return ("", [(exc.field, exc.description)])
    except DatabaseError as exc:
        if lost_lock_race(exc):
            raise  # the whole transaction is tried again
        # The database's message may quote the values: never pass it on.
        return ("", [("", "The database refused this record (a constraint failed).")])


def _write_batch(
    batch: list[tuple[int, dict[str, Any]]], preloaded: dict[str, Order] | None = None
) -> dict[int, Outcome]:
    """Write records as one batch, in a number of queries that does not grow with them; the
    outcomes of the first ones (a record whose order an earlier one of the batch wrote is
    left for the next batch).

    The records are applied one after the other to the rows in memory, exactly as one by one:
    a stored order is compared with its record through the same customer and address objects
    the earlier records changed, and a rejected record leaves no trace. Then the rows are
    written with bulk statements and every order written is derived and rendered once.
    """
    # Checked again inside the transaction: another writer may have changed them since the
    # chunk was compared. An order loaded with the chunk is used as it is when its version
    # (updated_at, which every write of an order, its items, events or parcels moves, and
    # its stored document) is still the one in the database; the others are read again,
    # whole. The batch takes the loaded orders over: it changes them in memory, so neither a
    # later batch nor a retry of this one may use them.
    ids = [document["id"] for _, document in batch]
    loaded = {key: preloaded.pop(key) for key in ids if preloaded and key in preloaded}
    versions = {
        key: (updated_at, stored_document)
        for key, updated_at, stored_document in Order.objects.filter(
            external_id__in=ids
        ).values_list("external_id", "updated_at", "document")
    }
    stored = {
        key: order
        for key, order in loaded.items()
        if versions.get(key) == (order.updated_at, order.document)
    }
    stale = [key for key in versions if key not in stored]
    if stale:
        stored |= (
            selectors.orders_with_documents()
            .filter(external_id__in=stale)
            .in_bulk(field_name="external_id")
        )
    # The stored orders' own customers too: a record may try to move its order.
    customer_ids = {document["customer_id"] for _, document in batch}
    customer_ids |= {order.customer.external_id for order in stored.values()}
    order_numbers = {document["order_number"] for _, document in batch}
    rows = _BatchRows.load(customer_ids, order_numbers, stored)
    outcomes: dict[int, Outcome] = {}
    written: list[tuple[Order, dict[str, Any], bool, list[dict[str, Any]]]] = []
    seen_orders: set[str] = set()
    for position, document in batch:
        order = stored.get(document["id"])
        if document["id"] in seen_orders:
            break  # read again by the next batch, with this one written
        try:
            document = _with_local_changes(document, order)
            if _order_unchanged(document, order):
                outcomes[position] = ("unchanged", [])
                continue
            rows.check_order_number(document)
        except RecordRejected as exc:
            outcomes[position] = ("", [(exc.field, exc.description)])
            continue
        customer = rows.customer(document["customer_id"], document.get("customer"))
        shipping = rows.address(customer, document.get("shipping_address"))
        if document.get("billing_address") == document.get("shipping_address"):
            billing = shipping
        else:
            billing = rows.address(customer, document.get("billing_address"))
        created = order is None
        local_events = []
        if created:
            order = Order(external_id=document["id"], customer=customer)
        else:
            local_events = [
                body.status_event_body(event)
                for event in order.status_events.all()
                if event.is_local
            ]
        rows.number_taken(document, order)
        _order_fields(order, document, shipping, billing)
        written.append((order, document, created, local_events))
        outcomes[position] = ("created" if created else "updated", [])
        seen_orders.add(document["id"])
    if written:
        _batch_save(rows, written)
    return outcomes


def _batch_save(
    rows: _BatchRows, written: list[tuple[Order, dict[str, Any], bool, list[dict[str, Any]]]]
) -> None:
    """Write a batch applied in memory: customers and addresses, orders, items, events,
    parcels; then derive and render each order once.

    A new order without parcels is derived and rendered before it is inserted (from its
    document's items and events), so it is written once; the others are refreshed from the
    database after their rows are written. Items and events are inserted as plain rows.
    """
    rows.save()
    events = [_event_values(document, local) for _, document, _, local in written]
    # Each order's first item among the batch's item rows.
    first_item = list(accumulate((len(d["items"]) for _, d, _, _ in written), initial=0))
    highlights: list[tuple[Order, int]] = []  # (order, item's index among the rows)
    created: list[Order] = []
    updated: list[Order] = []
    refreshed: list[Order] = []
    for index, ((order, document, is_new, _), order_events) in enumerate(
        zip(written, events, strict=True)
    ):
        if is_new and not document.get("shipments"):
            position = new_order_derive(order=order, items=document["items"], events=order_events)
            if position is not None:
                highlights.append((order, first_item[index] + position))
        else:
            refreshed.append(order)
        (created if is_new else updated).append(order)
    # PostgreSQL hands out the items' ids before they are inserted, so a new order is
    # inserted pointing at its highlighted item (an UPDATE there writes a new row version
    # and an entry in each of the order's indexes); SQLite sets it afterwards.
    item_ids = bulk.reserve_ids(OrderItem, first_item[-1]) if highlights else []
    if item_ids:
        for order, index in highlights:
            order.derived_highlighted_item_id = item_ids[index]
    _orders_save(created, updated)
    if updated:
        # Items and the source's events are written again; our own events stay.
        OrderItem.objects.filter(order__in=updated).delete()
        StatusEvent.objects.filter(order__in=updated, is_local=False).delete()
    item_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    for (order, document, _, _), order_events in zip(written, events, strict=True):
        item_rows += _item_rows(order, document)
        event_rows += _event_rows(order, order_events)
    if item_ids:
        bulk.insert_rows(
            OrderItem,
            ("id", *_ITEM_COLUMNS),
            [(pk, *row) for pk, row in zip(item_ids, item_rows, strict=True)],
        )
    else:
        item_ids = bulk.insert_rows(OrderItem, _ITEM_COLUMNS, item_rows)
        for order, index in highlights:
            order.derived_highlighted_item_id = item_ids[index]
        bulk.update([order for order, _ in highlights], ["derived_highlighted_item"])
    bulk.insert_rows(StatusEvent, _EVENT_COLUMNS, event_rows)
    _shipments_write(
        [
            (order, document.get("shipments", []), is_new)
            for order, document, is_new, _ in written
            if document.get("shipments") or not is_new  # no query for new orders without
        ]
    )
    orders_refresh(orders=refreshed)
    if rows.changed_addresses:
        # Other orders embed the changed addresses too.
        orders_refresh_documents(
            orders=orders_embedding(addresses=rows.changed_addresses).exclude(
                pk__in=[order.pk for order, _, _, _ in written]
            )
        )


def _orders_save(created: list[Order], updated: list[Order]) -> None:
    bulk.insert(created)
    if updated:
        now = timezone.now()
        for order in updated:
            order.updated_at = now  # auto_now is not applied by bulk.update
        bulk.update(updated, [*_ORDER_FIELDS, "updated_at"])


# The columns _order_fields sets.
_ORDER_FIELDS = [
    "order_number",
    "brand",
    "purchase_datetime",
    "delivery_type",
    "shipping_address",
    "billing_address",
    "items_number",
    "currency",
    *order_documents.PRICE_SUMMARY_FIELDS,
    "card_brand",
    "card_brand_image_url",
    "card_last4",
    "is_refunded",
    "highlighted_item_image_url",
    "cancellation_status",
    "payment_status",
    "status",
    "custom_fields",
]


class _BatchRows:
    """The customers and addresses a batch touches, read once and changed in memory record by
    record with the rules of _customer_upsert and _address_upsert, then written in bulk."""

    def __init__(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.addresses: dict[tuple[str, str], Address] = {}  # (customer id, address id)
        self.unnamed: dict[str, list[Address]] = defaultdict(list)  # addresses without an id
        self.numbers: dict[tuple[str, str], str] = {}  # (customer id, number) -> order id
        self.new: list[Customer | Address] = []
        self.dirty: dict[int, Customer | Address] = {}
        self.changed_addresses: list[Address] = []

    @classmethod
    def load(
        cls, customer_ids: set[str], order_numbers: set[str], stored: dict[str, Order]
    ) -> _BatchRows:
        rows = cls()
        rows.customers = Customer.objects.filter(external_id__in=customer_ids).in_bulk(
            field_name="external_id"
        )
        by_pk = {customer.pk: customer for customer in rows.customers.values()}
        addresses = {}
        if by_pk:
            for address in Address.objects.filter(customer__in=list(by_pk)).order_by("id"):
                address.customer = by_pk[address.customer_id]
                addresses[address.pk] = address
                if address.external_id:
                    rows.addresses[address.customer.external_id, address.external_id] = address
                else:
                    rows.unnamed[address.customer.external_id].append(address)
            # Only the numbers the batch uses can clash (nor be given up by a record).
            numbers = Order.objects.filter(
                customer__in=list(by_pk), order_number__in=order_numbers
            ).values_list("customer__external_id", "order_number", "external_id")
            rows.numbers = {(customer, number): order for customer, number, order in numbers}
        # The stored orders see the batch's changes to their customer and addresses.
        for order in stored.values():
            order.customer = rows.customers[order.customer.external_id]
            for name in ("shipping_address", "billing_address"):
                address = addresses.get(getattr(order, f"{name}_id"))
                if address is not None:  # else another customer's: left as loaded
                    setattr(order, name, address)
        return rows

    def check_order_number(self, document: dict[str, Any]) -> None:
        holder = self.numbers.get((document["customer_id"], document["order_number"]))
        if holder is not None and holder != document["id"]:
            raise RecordRejected(
                "order_number", "Another order of this customer already has this order_number."
            )

    def number_taken(self, document: dict[str, Any], order: Order) -> None:
        customer_id = document["customer_id"]
        if order.pk is not None and self.numbers.get((customer_id, order.order_number)) == (
            order.external_id
        ):
            del self.numbers[customer_id, order.order_number]
        self.numbers[customer_id, document["order_number"]] = document["id"]

    def customer(self, customer_id: str, data: dict[str, Any] | None) -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            customer = self.customers[customer_id] = Customer(external_id=customer_id)
            self.new.append(customer)
        elif data is None or customer_body(customer) == data:
            return customer  # unchanged rows are not rewritten
        if data is not None:
            _customer_fields(customer, data)
            if customer.pk is not None:
                self.dirty[id(customer)] = customer
        return customer

    def address(self, customer: Customer, data: dict[str, Any] | None) -> Address | None:
        if data is None:
            return None
        fields = {name: data.get(name, "") for name in order_documents.ADDRESS_VALUE_FIELDS}
        fields["is_default"] = data["default"]
        if "id" not in data:
            unnamed = self.unnamed[customer.external_id]
            match = next(
                (a for a in unnamed if all(getattr(a, k) == v for k, v in fields.items())), None
            )
            if match is None:
                match = Address(customer=customer, external_id="", **fields)
                unnamed.append(match)
                self.new.append(match)
            return match
        key = (customer.external_id, data["id"])
        address = self.addresses.get(key)
        if address is None:
            address = self.addresses[key] = Address(
                customer=customer, external_id=data["id"], **fields
            )
            self.new.append(address)
        elif address_body(address) != data:
            for name, value in fields.items():
                setattr(address, name, value)
            if address.pk is not None:
                self.dirty[id(address)] = address
                if address not in self.changed_addresses:
                    self.changed_addresses.append(address)
        return address

    def save(self) -> None:
        """Write the new and changed customers, then the addresses (which need their ids)."""
        now = timezone.now()
        new_customers = [row for row in self.new if isinstance(row, Customer)]
        for customer in new_customers:
            customer.fold_names()
        bulk.insert(new_customers)
        dirty_customers = [row for row in self.dirty.values() if isinstance(row, Customer)]
        if dirty_customers:
            for customer in dirty_customers:
                customer.fold_names()
                customer.updated_at = now  # auto_now is not applied by bulk.update
            bulk.update(dirty_customers, [*_CUSTOMER_FIELDS, "updated_at"])
        bulk.insert([row for row in self.new if isinstance(row, Address)])
        dirty_addresses = [row for row in self.dirty.values() if isinstance(row, Address)]
        if dirty_addresses:
            bulk.update(dirty_addresses, _ADDRESS_FIELDS)


_CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone_number",
    "brand",
    "customer_since",
    "custom_fields",
    "integration_type",
    "integration_url",
    "first_name_folded",
    "last_name_folded",
]
_ADDRESS_FIELDS = [*order_documents.ADDRESS_VALUE_FIELDS, "is_default"]


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _with_local_changes(document: dict[str, Any], order: Order | None) -> dict[str, Any]:
    """The document with what ercdash itself did to the stored order put back.

    A cancellation or a new shipping address made here (API, console, admin) is never
    undone by the source system's view of the order: the order stays CANCELED, keeps the
    address chosen here and its timeline events, whatever the imported document says.
    Re-importing such a document then changes nothing.
    """
    if order is None or (order.canceled_at is None and order.shipping_address_changed_at is None):
        return document
    local = [body.status_event_body(event) for event in order.status_events.all() if event.is_local]
    history = document["status_history"] + [e for e in local if e not in document["status_history"]]
    # Oldest first, like normalize(); on equal times our own events go first, as they are
    # the ones kept (lower ids) when the source's events are written again.
    history.sort(key=lambda event: (event.get("status_date_time", ""), event not in local))
    document = {**document, "status_history": history}
    if order.canceled_at is not None:
        document["cancellation_status"] = CancellationStatus.CANCELED.value
    if order.shipping_address_changed_at is not None:
        shipping = body.address_body(order.shipping_address)
        if shipping is None:
            document.pop("shipping_address", None)
        else:
            document["shipping_address"] = shipping
    return document


def _order_unchanged(document: dict[str, Any], order: Order | None) -> bool:
    """True when the stored order already is this document; RecordRejected for a move."""
    if order is None:
        return False
    if order.customer.external_id != document["customer_id"]:
        raise RecordRejected(
            "customer_id",
            "This order belongs to another customer; an order never moves between customers.",
        )
    stored = order_documents.export_document(order)
    if "customer" not in document:
        del stored["customer"]
    return stored == document


def _order_write(document: dict[str, Any], order: Order | None) -> str:
    customer = _customer_upsert(document["customer_id"], document.get("customer"))
    clash = (
        Order.objects.filter(customer=customer, order_number=document["order_number"])
        .exclude(external_id=document["id"])
        .exists()
    )
    if clash:
        raise RecordRejected(
            "order_number", "Another order of this customer already has this order_number."
        )
    shipping = _address_upsert(customer, document.get("shipping_address"))
    if document.get("billing_address") == document.get("shipping_address"):
        billing = shipping
    else:
        billing = _address_upsert(customer, document.get("billing_address"))

    created = order is None
    if created:
        order = Order(external_id=document["id"], customer=customer)
    _order_fields(order, document, shipping, billing)
    order.save()

    local_events = []
    if not created:
        order.items.all().delete()
        order.status_events.filter(is_local=False).delete()
        local_events = [
            body.status_event_body(event) for event in order.status_events.filter(is_local=True)
        ]
    bulk.insert_rows(OrderItem, _ITEM_COLUMNS, _item_rows(order, document))
    bulk.insert_rows(
        StatusEvent, _EVENT_COLUMNS, _event_rows(order, _event_values(document, local_events))
    )
    _shipments_write([(order, document.get("shipments", []), created)])
    order_refresh(order=order)
    return "created" if created else "updated"


def _order_fields(
    order: Order, document: dict[str, Any], shipping: Address | None, billing: Address | None
) -> None:
    """Set the order's own columns from the document (not its items, events or parcels)."""
    summary = document.get("price_summary", {})
    payment = document.get("payment_details", {})
    currencies = [money["currency"] for money in summary.values()] + [
        item["price"]["currency"] for item in document["items"]
    ]
    order.order_number = document["order_number"]
    order.brand = document.get("brand", "")
    order.purchase_datetime = _datetime(document.get("purchase_datetime"))
    order.delivery_type = document.get("delivery_type", "")
    order.shipping_address = shipping
    order.billing_address = billing
    order.items_number = document.get("items_number")
    order.currency = currencies[0] if currencies else ""
    for name in order_documents.PRICE_SUMMARY_FIELDS:
        setattr(order, name, summary[name]["value"] if name in summary else None)
    order.card_brand = payment.get("card_brand", "")
    order.card_brand_image_url = payment.get("card_brand_image_url", "")
    order.card_last4 = payment.get("card_number", "")[-4:]
    order.is_refunded = payment.get("is_refunded")
    order.highlighted_item_image_url = document.get("order_extra_info", {}).get(
        "highlighted_item_image_url", ""
    )
    order.cancellation_status = document.get("cancellation_status", "")
    order.payment_status = document.get("payment_status", "")
    order.status = document.get("status", "")
    order.custom_fields = document.get("custom_fields", {})


# The columns of the rows _item_rows and _event_rows give, in their order.
_ITEM_COLUMNS = (
    "order_id",
    "position",
    "external_id",
    "name",
    "sku",
    "quantity",
    "price",
    "currency",
    "image_url",
    "description",
)
_EVENT_COLUMNS = (
    "order_id",
    "generic_type",
    "detailed_type",
    "status_date_time",
    "description",
    "is_local",
)


def _item_rows(order: Order, document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            order.pk,
            position,
            item["id"],
            item.get("name", ""),
            item.get("sku", ""),
            item["quantity"],
            item["price"]["value"],
            item["price"]["currency"],
            item.get("image_url", ""),
            item.get("description", ""),
        )
        for position, item in enumerate(document["items"])
    ]


def _event_values(
    document: dict[str, Any], local_events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The source's status events to create, by field name, in timeline order (so ties on
    the timestamp keep their order by id); our own events are kept as they are."""
    return [
        {
            "generic_type": event["generic_type"],
            "detailed_type": event.get("detailed_type", ""),
            "status_date_time": _datetime(event["status_date_time"]),
            "description": event.get("description", ""),
            "is_local": False,
        }
        for event in document["status_history"]
        if event not in local_events
    ]


def _event_rows(order: Order, events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """_event_values as rows of _EVENT_COLUMNS."""
    return [(order.pk, *(event[name] for name in _EVENT_COLUMNS[1:])) for event in events]


def _shipments_write(orders: list[tuple[Order, list[dict[str, Any]], bool]]) -> None:
    """Upsert each order's parcels by id (their created time survives a re-import) and drop
    the others, for (order, parcels, created) in a number of queries that does not grow
    with the orders.

    The items were just re-created, so every parcel's lines are written again; a parcel's
    fields and history are rewritten only when they changed, which keeps its last_updated.
    """
    stored: dict[int, dict[str, Shipment]] = defaultdict(dict)
    known = [order.pk for order, _, created in orders if not created]
    if known:
        for shipment in Shipment.objects.filter(order__in=known):
            stored[shipment.order_id][shipment.external_id] = shipment
    gone = []
    for order, parcels, _ in orders:
        kept = {parcel["id"] for parcel in parcels}
        gone += [s.pk for external_id, s in stored[order.pk].items() if external_id not in kept]
    if gone:
        Shipment.objects.filter(pk__in=gone).delete()
    orders = [(order, parcels, created) for order, parcels, created in orders if parcels]
    if not orders:
        return
    # Not order.items.all(): a preloaded order's prefetched items were just deleted.
    items: dict[tuple[int, str], int] = {
        (order_id, external_id): pk
        for pk, order_id, external_id in OrderItem.objects.filter(
            order__in=[order.pk for order, _, _ in orders]
        ).values_list("pk", "order_id", "external_id")
    }
    histories = _stored_histories([order.pk for order, _, created in orders if not created])
    now = timezone.now()
    new: list[Shipment] = []
    changed: list[Shipment] = []
    replaced: list[int] = []  # parcels whose history is written again
    histories_to_write: list[tuple[Shipment, list[dict[str, Any]]]] = []
    lines: list[tuple[Shipment, int, int]] = []  # (parcel, item pk, quantity)
    for order, parcels, _ in orders:
        for position, parcel in enumerate(parcels):
            shipment = stored[order.pk].get(parcel["id"])
            if shipment is None:
                shipment = Shipment(order=order, external_id=parcel["id"])
            values = {
                "position": position,
                "carrier": parcel.get("carrier", ""),
                "tracking_number": parcel.get("tracking_number", ""),
                "tracking_url": parcel.get("tracking_url", ""),
                "service_level": parcel.get("service_level", ""),
                "shipping_date": _datetime(parcel.get("shipping_date")),
                "delivery_date_start": _datetime(parcel.get("delivery_date_start")),
                "delivery_date_end": _datetime(parcel.get("delivery_date_end")),
            }
            history_changed = histories.get(shipment.pk) != parcel["status_history"]
            if (
                shipment.pk is None
                or history_changed
                or any(getattr(shipment, name) != value for name, value in values.items())
            ):
                for name, value in values.items():
                    setattr(shipment, name, value)
                if shipment.pk is None:
                    new.append(shipment)
                else:
                    shipment.updated_at = now  # as save() would (auto_now)
                    changed.append(shipment)
            if history_changed:
                if shipment.pk is not None:
                    replaced.append(shipment.pk)
                histories_to_write.append((shipment, parcel["status_history"]))
            lines += [
                (shipment, items[order.pk, line["item_id"]], line["quantity"])
                for line in parcel["items"]
            ]
    bulk.insert(new)
    bulk.update(changed, [*_SHIPMENT_FIELDS, "updated_at"])
    if replaced:
        ShipmentEvent.objects.filter(shipment__in=replaced).delete()
    # Created in history order, so ties on the timestamp keep their order by id.
    bulk.insert_rows(
        ShipmentEvent,
        ("shipment_id", "detailed_type", "status_date_time", "description", "location"),
        [
            (
                shipment.pk,
                event["detailed_type"],
                _datetime(event["status_date_time"]),
                event.get("description", ""),
                event.get("location", ""),
            )
            for shipment, history in histories_to_write
            for event in history
        ],
    )
    bulk.insert_rows(
        ShipmentItem,
        ("shipment_id", "item_id", "quantity"),
        [(shipment.pk, item, quantity) for shipment, item, quantity in lines],
    )


# The parcel columns _shipments_write sets from a document.
_SHIPMENT_FIELDS = [
    "position",
    "carrier",
    "tracking_number",
    "tracking_url",
    "service_level",
    "shipping_date",
    "delivery_date_start",
    "delivery_date_end",
]


def _stored_histories(order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The stored parcels' histories of these orders, by parcel id, as documents give them."""
    histories: dict[int, list[dict[str, Any]]] = {}
    if not order_ids:
        return histories
    events = ShipmentEvent.objects.filter(shipment__order__in=order_ids).order_by(
        "shipment_id", "status_date_time", "id"
    )
    for event in events:
        histories.setdefault(event.shipment_id, []).append(shipment_event_body(event))
    return histories


def _customer_upsert(customer_id: str, body: dict[str, Any] | None) -> Customer:
    customer = Customer.objects.filter(external_id=customer_id).first()
    if customer is None:
        customer = Customer(external_id=customer_id)
    elif body is None or customer_body(customer) == body:
        return customer  # unchanged rows are not rewritten
    if body is not None:
        _customer_fields(customer, body)
    customer.save()
    return customer


def _customer_fields(customer: Customer, body: dict[str, Any]) -> None:
    customer.first_name = body.get("first_name", "")
    customer.last_name = body.get("last_name", "")
    customer.email = body.get("email", "")
    customer.phone_number = body.get("phone_number", "")
    customer.brand = body.get("brand", "")
    customer.customer_since = _datetime(body.get("customer_since"))
    customer.custom_fields = body.get("custom_fields", {})
    integration = body.get("integration_info", {})
    customer.integration_type = integration.get("type", "")
    customer.integration_url = integration.get("external_url", "")


def _address_upsert(customer: Customer, body: dict[str, Any] | None) -> Address | None:
    """By (customer, id) when the address has an id, else by content; created when new."""
    if body is None:
        return None
    fields = {name: body.get(name, "") for name in order_documents.ADDRESS_VALUE_FIELDS}
    fields["is_default"] = body["default"]
    if "id" not in body:
        match = Address.objects.filter(customer=customer, external_id="", **fields).first()
        return match or Address.objects.create(customer=customer, **fields)
    address, created = Address.objects.get_or_create(
        customer=customer, external_id=body["id"], defaults=fields
    )
    if not created and address_body(address) != body:
        for name, value in fields.items():
            setattr(address, name, value)
        address.save()
        # Other orders embed this address too; the order being written is refreshed anyway.
        orders_refresh_documents(orders=orders_embedding(addresses=[address]))
    return address
