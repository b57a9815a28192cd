"""Writes. Every change to an order's items or timeline goes through order_refresh_derived."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from orders import documents as order_documents
from orders import selectors, serializers
from orders.errors import NotCancellable
from orders.models import (
    CANCELLABLE_GENERIC_TYPES,
    AccessAudit,
    Address,
    CancellationStatus,
    CancelReason,
    Customer,
    GenericType,
    IdempotencyRecord,
    Order,
    OrderItem,
    StatusEvent,
)
from orders.renderers import dumps
from orders.serializers import order_body


@transaction.atomic
def order_refresh_derived(*, order: Order) -> Order:
    """Recompute the values the API derives from items and status events, and save them."""
    items = list(order.items.order_by("position", "id").values("quantity", "price", "image_url"))
    order.derived_items_quantity = sum(item["quantity"] for item in items) if items else None
    top = None
    for item in items:  # first item wins a tie on the highest unit price
        if top is None or item["price"] > top["price"]:
            top = item
    order.derived_top_item_image_url = top["image_url"] if top else ""

    latest = order.status_events.order_by("-status_date_time", "-id").first()
    order.latest_generic_type = latest.generic_type if latest else ""
    order.latest_detailed_type = latest.detailed_type if latest else ""
    order.latest_status_at = latest.status_date_time if latest else None
    order.latest_status_description = latest.description if latest else ""
    order.save(
        update_fields=[
            "derived_items_quantity",
            "derived_top_item_image_url",
            "latest_generic_type",
            "latest_detailed_type",
            "latest_status_at",
            "latest_status_description",
            "updated_at",
        ]
    )
    return order


def render_document(order: Order) -> str:
    return dumps(order_body(order)).decode()


@transaction.atomic
def orders_refresh_documents(*, orders: QuerySet[Order]) -> int:
    """Re-render the stored API documents, e.g. after a customer or address edit."""
    count = 0
    for order in orders.select_related("customer", "shipping_address", "billing_address"):
        order.save(update_fields=["document", "updated_at"])
        count += 1
    return count


@transaction.atomic
def audit_record(
    *,
    actor: str,
    channel: str,
    action: str,
    user=None,
    customer_id: str = "",
    order_id: str = "",
    request_id: str = "",
    detail: str = "",
) -> AccessAudit:
    """Write one access-audit row: who did what to which customer/order, when, through what."""
    return AccessAudit.objects.create(
        actor=actor,
        user=user,
        channel=channel,
        action=action,
        customer_external_id=customer_id,
        order_external_id=order_id,
        request_id=request_id,
        detail=detail,
    )


_CANCEL_STATE_FIELDS = [
    "cancellation_status",
    "canceled_at",
    "cancel_reason",
    "canceled_by",
    "latest_generic_type",
    "latest_detailed_type",
    "latest_status_at",
    "updated_at",
]


@transaction.atomic
def order_cancel(
    *,
    order: Order,
    reason: str,
    actor: str,
    channel: str,
    user=None,
    request_id: str = "",
) -> Order:
    """Cancel an order that has not left yet; NotCancellable otherwise.

    A conditional UPDATE decides, so of two concurrent cancels exactly one wins on any
    database, without relying on row locks.
    """
    now = timezone.now()
    updated = Order.objects.filter(
        pk=order.pk,
        cancellation_status="",
        latest_generic_type__in=CANCELLABLE_GENERIC_TYPES,
    ).update(
        cancellation_status=CancellationStatus.CANCELED,
        canceled_at=now,
        cancel_reason=reason,
        canceled_by=actor,
        updated_at=now,
    )
    # Reload only plain fields: a full refresh would drop the loaded customer and addresses
    # that the stored document is re-rendered from.
    order.refresh_from_db(fields=_CANCEL_STATE_FIELDS)
    if not updated:
        if order.is_canceled:
            raise NotCancellable(f"Order {order.external_id} is already canceled.")
        raise NotCancellable(
            f"Order {order.external_id} has left the warehouse and can no longer be canceled."
        )
    audit_record(
        actor=actor,
        user=user,
        channel=channel,
        action=AccessAudit.Action.CANCEL_ORDER,
        customer_id=order.customer.external_id,
        order_id=order.external_id,
        request_id=request_id,
        detail=reason,
    )
    # The timeline says what happened too. Cancellation is not a shipping stage: the event keeps
    # the stage the order had reached and sorts last even if the clock went back. The actor
    # stays out of it (API clients see the timeline); it is in canceled_by and the audit.
    StatusEvent.objects.create(
        order=order,
        generic_type=order.latest_generic_type or GenericType.UNKNOWN,
        detailed_type=order.latest_detailed_type,
        status_date_time=max(now, order.latest_status_at) if order.latest_status_at else now,
        description=f"Canceled: {CancelReason(reason).label}",
    )
    return order_refresh_derived(order=order)


def idempotent_response(
    *, client_id: str, key: str, method: str, path: str, status: int, body: bytes
) -> IdempotencyRecord:
    """Keep the first answer for (client, key); a racing duplicate gets the stored one back."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                client_id=client_id,
                key=key,
                method=method,
                path=path,
                status_code=status,
                body=body,
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(client_id=client_id, key=key)


# --- Import and export of order documents (SPEC §5) ----------------------------------------


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


@transaction.atomic
def orders_import(*, documents: Iterable[Any], dry_run: bool = False) -> ImportResult:
    """Upsert order documents by order id, each in its own savepoint; dry_run rolls back."""
    result = ImportResult()
    records = (
        record
        if isinstance(record, order_documents.RawRecord)
        else order_documents.RawRecord(n, record)
        for n, record in enumerate(documents, 1)
    )
    while chunk := list(islice(records, IMPORT_CHUNK)):
        _import_chunk(chunk, result)
    if dry_run:
        transaction.set_rollback(True)
    return result


def _import_chunk(records: list[order_documents.RawRecord], result: ImportResult) -> None:
    prepared: list[tuple[int, dict[str, Any] | None, list[tuple[str, str]]]] = []
    for record in records:
        if record.error:
            prepared.append((record.position, None, [("", record.error)]))
            continue
        try:
            prepared.append((record.position, order_documents.normalize(record.value), []))
        except order_documents.DocumentError as exc:
            prepared.append((record.position, None, exc.errors))

    # The stored orders of the whole chunk in three queries: a re-import that changes
    # nothing costs no per-record query. Once this chunk writes, they may be stale.
    order_ids = [document["id"] for _, document, _ in prepared if document]
    preloaded = (
        selectors.orders_with_documents()
        .filter(external_id__in=order_ids)
        .in_bulk(field_name="external_id")
    )
    fresh = True
    for position, document, problems in prepared:
        if document is not None:
            if fresh:
                order = preloaded.get(document["id"])
            else:
                order = selectors.orders_with_documents().filter(external_id=document["id"]).first()
            outcome = ""
            try:
                if _order_unchanged(document, order):
                    outcome = "unchanged"
                else:
                    fresh = False
                    with transaction.atomic():
                        outcome = _order_write(document, order)
            except RecordRejected as exc:
                problems = [(exc.field, exc.description)]
            except DatabaseError:
                # The database's message may quote the values: never pass it on.
                problems = [("", "The database refused this record (a constraint failed).")]
        if problems:
            result.rejected += 1
            result.errors.extend(RecordError(position, *problem) for problem in problems)
        else:
            setattr(result, outcome, getattr(result, outcome) + 1)


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


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
    for name in order_documents.AMOUNT_FIELDS:
        setattr(order, name, summary[name]["value"] if name in summary else None)
    order.card_brand = payment.get("card_brand", "")
    order.card_brand_image_url = payment.get("card_brand_image_url", "")
    order.card_last4 = payment.get("card_number", "")[-4:]
    order.is_refunded = payment.get("is_refunded")
    order.highlighted_item_image_url = document.get("order_extra_info", {}).get(
        "highlighted_item_image_url", ""
    )
    order.cancellation_status = document.get("cancellation_status", "")
    order.save()

    if not created:
        order.items.all().delete()
        order.status_events.all().delete()
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
    )
    order_refresh_derived(order=order)
    return "created" if created else "updated"


def _customer_upsert(customer_id: str, body: dict[str, Any] | None) -> Customer:
    customer = Customer.objects.filter(external_id=customer_id).first()
    if customer is None:
        customer = Customer(external_id=customer_id)
    elif body is None or serializers.customer_body(customer) == body:
        return customer  # unchanged rows are not rewritten
    if body is not None:
        customer.first_name = body.get("first_name", "")
        customer.last_name = body.get("last_name", "")
        customer.email = body.get("email", "")
        customer.phone_number = body.get("phone_number", "")
        customer.brand = body.get("brand", "")
        customer.customer_since = _datetime(body.get("customer_since"))
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
    if not created and serializers.address_body(address) != body:
        for name, value in fields.items():
            setattr(address, name, value)
        address.save()
    return address


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
