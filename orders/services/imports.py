"""Import of order documents (docs/data.md): upsert by order id in short write transactions."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import DatabaseError, transaction

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
from orders.services.documents import order_refresh, orders_embedding, orders_refresh_documents
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


IMPORT_CHUNK = 200
# A write transaction takes no more records once it has run this long (or holds this many):
# a waiting writer (an agent's audit row, a cancel) then gets the lock within about that,
# whatever the machine's load, while an idle machine still writes many records per commit.
WRITE_SECONDS = 0.05
WRITE_BATCH = 50
# A transaction keeps trying this long to get its locks (another import, a long admin job).
WRITE_RETRY_SECONDS = 60.0
clock = time.monotonic  # patched by tests

Outcome = tuple[str, list[tuple[str, str]]]  # ("created"|..., problems)


def orders_import(*, documents: Iterable[Any], dry_run: bool = False) -> ImportResult:
    """Upsert order documents by order id in short write transactions; dry_run rolls back.

    Each record has its own savepoint and each transaction holds a few records (WRITE_SECONDS),
    so readers and other writers are never held up for long. A dry run writes each record in
    a transaction of its own and rolls it back: it checks each record against the database
    as it is, without the records before it in the same file.
    """
    result = ImportResult()
    records = (
        record
        if isinstance(record, order_documents.RawRecord)
        else order_documents.RawRecord(n, record)
        for n, record in enumerate(documents, 1)
    )
    while chunk := list(islice(records, IMPORT_CHUNK)):
        _import_chunk(chunk, result, dry_run=dry_run)
    return result


def _import_chunk(
    records: list[order_documents.RawRecord], result: ImportResult, *, dry_run: bool
) -> None:
    prepared: list[tuple[int, dict[str, Any] | None, list[tuple[str, str]]]] = []
    for record in records:
        if record.error:
            prepared.append((record.position, None, [("", record.error)]))
            continue
        try:
            prepared.append((record.position, order_documents.normalize(record.value), []))
        except order_documents.DocumentError as exc:
            prepared.append((record.position, None, exc.errors))

    # The stored orders of the whole chunk in three queries, outside any transaction: a
    # re-import that changes nothing costs no per-record query and takes no write lock. Once
    # a record of this chunk is written they may be stale, so every later record is read
    # again inside its write transaction.
    order_ids = [document["id"] for _, document, _ in prepared if document]
    preloaded = (
        selectors.orders_with_documents()
        .filter(external_id__in=order_ids)
        .in_bulk(field_name="external_id")
    )
    outcomes: dict[int, Outcome] = {}
    to_write: list[tuple[int, dict[str, Any]]] = []
    for position, document, problems in prepared:
        if document is None:
            outcomes[position] = ("", problems)
        elif to_write:
            to_write.append((position, document))
        else:
            try:
                order = preloaded.get(document["id"])
                if _order_unchanged(_with_local_changes(document, order), order):
                    outcomes[position] = ("unchanged", [])
                else:
                    to_write.append((position, document))
            except RecordRejected as exc:
                outcomes[position] = ("", [(exc.field, exc.description)])
    while to_write:
        written = _write_some(to_write, dry_run=dry_run)
        outcomes.update(written)
        to_write = to_write[len(written) :]

    for position in sorted(outcomes):
        outcome, problems = outcomes[position]
        if problems:
            result.rejected += 1
            result.errors.extend(RecordError(position, *problem) for problem in problems)
        else:
            setattr(result, outcome, getattr(result, outcome) + 1)


def _write_some(pending: list[tuple[int, dict[str, Any]]], *, dry_run: bool) -> dict[int, Outcome]:
    """Write the first of the pending records in one short transaction; their outcomes.

    The transaction is retried as a whole if it loses a race for a lock, and its outcomes
    only count once it is over, so a retried record counts once.
    """

    def write() -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        started = clock()
        # A dry run checks each record on its own against the database as it is: the same
        # answer however the records would have fallen into transactions.
        for position, document in pending[: 1 if dry_run else WRITE_BATCH]:
            if outcomes and clock() - started >= WRITE_SECONDS:
                break
            try:
                order = selectors.orders_with_documents().filter(external_id=document["id"]).first()
                document = _with_local_changes(document, order)
                if _order_unchanged(document, order):
                    outcomes[position] = ("unchanged", [])
                    continue
                with transaction.atomic():
                    outcomes[position] = (_order_write(document, order), [])
            except RecordRejected as exc:
                outcomes[position] = ("", [(exc.field, exc.description)])
            except DatabaseError as exc:
                if lost_lock_race(exc):
                    raise  # the whole transaction is tried again
                # The database's message may quote the values: never pass it on.
                outcomes[position] = (
                    "",
                    [("", "The database refused this record (a constraint failed).")],
                )
        if dry_run:
            transaction.set_rollback(True)
        return outcomes

    return retrying(write, seconds=WRITE_RETRY_SECONDS)


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
    order.save()

    local_events = []
    if not created:
        order.items.all().delete()
        order.status_events.filter(is_local=False).delete()
        local_events = [
            body.status_event_body(event) for event in order.status_events.filter(is_local=True)
        ]
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            position=position,
            external_id=item["id"],
            name=item.get("name", ""),
            sku=item.get("sku", ""),
            quantity=item["quantity"],
            price=item["price"]["value"],
            currency=item["price"]["currency"],
            image_url=item.get("image_url", ""),
            description=item.get("description", ""),
        )
        for position, item in enumerate(document["items"])
    )
    # Created in timeline order, so ties on the timestamp keep their order by id.
    StatusEvent.objects.bulk_create(
        StatusEvent(
            order=order,
            generic_type=event["generic_type"],
            detailed_type=event.get("detailed_type", ""),
            status_date_time=_datetime(event["status_date_time"]),
            description=event.get("description", ""),
        )
        for event in document["status_history"]
        if event not in local_events  # kept above, with their flag
    )
    _shipments_write(order, document.get("shipments", []), created=created)
    order_refresh(order=order)
    return "created" if created else "updated"


def _shipments_write(order: Order, parcels: list[dict[str, Any]], *, created: bool) -> None:
    """Upsert the parcels by id (their created time survives a re-import), drop the others.

    The items were just re-created, so every parcel's lines are written again; a parcel's
    fields and history are rewritten only when they changed, which keeps its last_updated.
    """
    stored = {} if created else {s.external_id: s for s in order.shipments.all()}
    gone = set(stored) - {parcel["id"] for parcel in parcels}
    if gone:
        Shipment.objects.filter(order=order, external_id__in=gone).delete()
    if not parcels:
        return
    # Not order.items.all(): a preloaded order's prefetched items were just deleted.
    items = {item.external_id: item for item in OrderItem.objects.filter(order=order)}
    events = {} if created else _stored_histories(order)
    lines: list[ShipmentItem] = []
    new_events: list[ShipmentEvent] = []
    for position, parcel in enumerate(parcels):
        shipment = stored.get(parcel["id"]) or Shipment(order=order, external_id=parcel["id"])
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
        history_changed = events.get(shipment.pk) != parcel["status_history"]
        changed = (
            shipment.pk is None
            or history_changed
            or any(getattr(shipment, name) != value for name, value in values.items())
        )
        if changed:
            for name, value in values.items():
                setattr(shipment, name, value)
            shipment.save()
        if history_changed:
            shipment.events.all().delete()
            new_events.extend(
                ShipmentEvent(
                    shipment=shipment,
                    detailed_type=event["detailed_type"],
                    status_date_time=_datetime(event["status_date_time"]),
                    description=event.get("description", ""),
                    location=event.get("location", ""),
                )
                for event in parcel["status_history"]
            )
        lines.extend(
            ShipmentItem(shipment=shipment, item=items[line["item_id"]], quantity=line["quantity"])
            for line in parcel["items"]
        )
    # Created in history order, so ties on the timestamp keep their order by id.
    ShipmentEvent.objects.bulk_create(new_events)
    ShipmentItem.objects.bulk_create(lines)


def _stored_histories(order: Order) -> dict[int, list[dict[str, Any]]]:
    histories: dict[int, list[dict[str, Any]]] = {}
    events = ShipmentEvent.objects.filter(shipment__order=order).order_by(
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
        customer.first_name = body.get("first_name", "")
        customer.last_name = body.get("last_name", "")
        customer.email = body.get("email", "")
        customer.phone_number = body.get("phone_number", "")
        customer.brand = body.get("brand", "")
        customer.customer_since = _datetime(body.get("customer_since"))
        customer.custom_fields = body.get("custom_fields", {})
    customer.save()
    return customer


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
