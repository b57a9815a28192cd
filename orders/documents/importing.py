"""Import: a decoded record validated as a whole and put in the exact shape export writes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from orders.documents.body import compact as _compact
from orders.documents.checks import _Normalizer, _safe_key
from orders.documents.fields import (
    EXTRA_INFO_FIELDS,
    ORDER_FIELDS,
    PAYMENT_FIELDS,
    PRICE_SUMMARY_FIELDS,
)
from orders.models import CancellationStatus, DeliveryType
from orders.rules import cards, shipments

# Error descriptions never repeat the offending value: a value may be a payment card number.

# Ids, order numbers, phones and zip codes are not free text, so a long digit run
# there is not taken for a card number. Every other string is checked.
# Tracking numbers are carrier references (USPS and FedEx ones run to 22-34 digits) and a
# shipment's item_id is an item id. A tracking URL is checked by the shipment rules, which
# take the parcel's own number out of it first; a customer's page in the system they came
# from is checked by the customer rules, which take the customer's own id out of it first
# (Shopify's ids run to 13 digits and more).
NOT_FREE_TEXT = frozenset(
    {"id", "customer_id", "order_number", "phone_number", "zip_code", "tracking_number", "item_id"}
)
# Links that carry their own long number, each checked by its own rule (cards.
# contains_full_card_number_besides) rather than as free text.
CHECKED_BY_THEIR_RULES = re.compile(
    r"^(?:shipments\.\d+\.tracking_url|customer\.integration_info\.external_url)$"
)


class DocumentError(Exception):
    """A record that cannot be imported: [(dotted field path, description)]."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


def iter_strings(value: Any, path: str = "", key: str = "") -> Iterator[tuple[str, str, str]]:
    """(dotted path, key, string) for every string in a decoded JSON value.

    A key holding a card number is written <redacted> in the path: paths end up in error
    messages. `key` is the string's own key as given (the index, in a list).
    """
    if isinstance(value, dict):
        for child_key, child in value.items():
            name = _safe_key(child_key)
            yield from iter_strings(child, f"{path}.{name}" if path else name, str(child_key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from iter_strings(child, f"{path}.{index}" if path else str(index), str(index))
    elif isinstance(value, str):
        yield path, key, value


def _may_hold_card_number(value: str) -> bool:
    # A card number has at least 13 digits: a shorter ASCII string cannot hold one (NFKC may
    # turn one non-ASCII character into several digits, so those are always checked).
    if len(value) < 13 and value.isascii():
        return False
    return cards.contains_full_card_number(value)


def _card_number_paths(raw: Any) -> list[str]:
    """The dotted paths of the free-text strings holding a full card number, in the order
    iter_strings walks them.

    Custom fields are free text whatever their keys are called (a custom "phone_number" is no
    phone field). Card-like tracking numbers and carrier links are checked by rules.shipments
    (the parcel's own number may be 15-22 digits). The same walk as iter_strings, without a
    generator per value and with the path spelled out only for a hit: every record of an
    import goes through it.
    """
    found: list[str] = []

    def hit(keys: tuple[str, ...]) -> None:
        key = keys[-1] if keys else ""
        path = ".".join(_safe_key(name) for name in keys)
        if CHECKED_BY_THEIR_RULES.match(path):
            return
        if key not in NOT_FREE_TEXT or "custom_fields" in path.split(".")[:-1]:
            found.append(path)

    def walk(value: dict | list, keys: tuple[str, ...]) -> None:
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            if isinstance(child, str):
                # _may_hold_card_number, its first test inlined: most strings are short.
                if (len(child) >= 13 or not child.isascii()) and cards.contains_full_card_number(
                    child
                ):
                    hit((*keys, str(key)))
            elif isinstance(child, dict | list):
                walk(child, (*keys, str(key)))

    if isinstance(raw, dict | list):
        walk(raw, ())
    elif isinstance(raw, str) and _may_hold_card_number(raw):
        hit(())
    return found


def normalize(raw: Any) -> dict[str, Any]:
    """The record in export shape, or DocumentError listing every problem found."""
    check = _Normalizer()
    if not isinstance(raw, dict):
        raise DocumentError([("", "Must be a JSON object (one order document).")])

    # PCI DSS 3.4.1 first: a full card number anywhere rejects the record.
    for path in _card_number_paths(raw):
        check.error(path, cards.PAN_DESCRIPTION)
    check.obj("", raw, ORDER_FIELDS)

    shipping = check.address("shipping_address", raw.get("shipping_address"))
    billing = check.address("billing_address", raw.get("billing_address"))
    if (
        shipping
        and billing
        and shipping.get("id")
        and shipping.get("id") == billing.get("id")
        and shipping != billing
    ):
        check.error("billing_address", "Has the id of shipping_address but different fields.")
    region_hint = ((shipping or {}).get("country_code")) or ((billing or {}).get("country_code"))

    customer = check.customer(raw.get("customer"), region_hint)
    customer_id = raw.get("customer_id")
    if customer_id is None and customer:
        customer_id = customer.get("id")
    customer_id = check.ident("customer_id", customer_id)
    if (
        customer is not None
        and customer_id
        and customer.setdefault("id", customer_id) != customer_id
    ):
        check.error("customer.id", "Must equal customer_id.")

    price_summary = None
    raw_summary = raw.get("price_summary")
    if isinstance(raw_summary, dict) and "net_payment_amount" in raw_summary:
        check.error(
            "price_summary.net_payment_amount",
            "Derived (final_total_amount - total_refunded_amount): leave it out.",
        )
        raw_summary = {k: v for k, v in raw_summary.items() if k != "net_payment_amount"}
    raw_summary = check.obj("price_summary", raw_summary, PRICE_SUMMARY_FIELDS)
    if raw_summary is not None:
        price_summary = _compact(
            {
                name: check.money(
                    f"price_summary.{name}",
                    raw_summary.get(name),
                    required=name in ("original_total_amount", "final_total_amount"),
                )
                for name in PRICE_SUMMARY_FIELDS
            }
        )
        refunded = price_summary.get("total_refunded_amount")
        final = price_summary.get("final_total_amount")
        if refunded and final and refunded["value"] > final["value"]:
            check.error(
                "price_summary.total_refunded_amount", "Must not exceed final_total_amount."
            )

    items_raw = raw.get("items")
    items: list[dict[str, Any]] = []
    if items_raw is not None and not isinstance(items_raw, list):
        check.error("items", "Must be a JSON array.")
    else:
        seen: set[str] = set()
        for index, item_raw in enumerate(items_raw or []):
            item = check.item(f"items.{index}", item_raw)
            if item is None:
                continue
            if item.get("id") is not None and item["id"] in seen:
                check.error(f"items.{index}.id", "Duplicate item id in this order.")
            seen.add(item.get("id"))
            items.append(item)

    items_number = check.integer("items_number", raw.get("items_number"), low=0, high=2**31 - 1)
    quantities = [item.get("quantity") for item in items]
    complete = isinstance(items_raw, list) and len(items) == len(items_raw)
    complete = complete and None not in quantities
    if items_number is not None and items and complete:
        total = sum(quantities)
        if items_number != total:
            check.error("items_number", f"Must equal the sum of item quantities ({total}).")

    parcels = _shipments(check, raw.get("shipments"), items_raw, items, complete)

    history_raw = raw.get("status_history")
    history: list[dict[str, Any]] = []
    if history_raw is not None and not isinstance(history_raw, list):
        check.error("status_history", "Must be a JSON array.")
    else:
        for index, event_raw in enumerate(history_raw or []):
            event = check.status(f"status_history.{index}", event_raw)
            if event is not None:
                history.append(event)
    # Oldest first; equal timestamps keep their order (the later one is "recorded last").
    history.sort(key=lambda event: event.get("status_date_time", ""))

    highlighted = None
    extra = check.obj("order_extra_info", raw.get("order_extra_info"), EXTRA_INFO_FIELDS)
    if extra is not None:
        highlighted = check.url(
            "order_extra_info.highlighted_item_image_url", extra.get("highlighted_item_image_url")
        )
        if extra.get("latest_status_info") is not None:
            latest = check.status(
                "order_extra_info.latest_status_info", extra["latest_status_info"]
            )
            if latest is not None and history_raw is None:
                history = [latest]
            elif latest is not None and history and latest != history[-1]:
                check.error(
                    "order_extra_info.latest_status_info",
                    "Does not match the latest event of status_history (leave it out: the "
                    "history carries it).",
                )

    payment = None
    raw_payment = check.obj("payment_details", raw.get("payment_details"), PAYMENT_FIELDS)
    if raw_payment is not None:
        payment = _compact(
            {
                "card_brand": check.text(
                    "payment_details.card_brand", raw_payment.get("card_brand"), max_length=64
                ),
                "card_brand_image_url": check.url(
                    "payment_details.card_brand_image_url", raw_payment.get("card_brand_image_url")
                ),
                "card_number": check.card_number(raw_payment.get("card_number")),
            }
        )
        refunded = check.boolean("payment_details.is_refunded", raw_payment.get("is_refunded"))
        if refunded is not None:
            payment["is_refunded"] = refunded

    document = _compact(
        {
            "id": check.ident("id", raw.get("id")),
            "order_number": check.text(
                "order_number", raw.get("order_number"), max_length=128, required=True
            ),
            "customer_id": customer_id,
            "brand": check.text("brand", raw.get("brand"), max_length=128),
            "purchase_datetime": check.timestamp("purchase_datetime", raw.get("purchase_datetime")),
            "delivery_type": check.choice("delivery_type", raw.get("delivery_type"), DeliveryType),
            "shipping_address": shipping,
            "billing_address": billing,
            "items_number": items_number,
            "price_summary": price_summary,
            "payment_details": payment,
            "order_extra_info": _compact({"highlighted_item_image_url": highlighted}),
            "cancellation_status": check.choice(
                "cancellation_status", raw.get("cancellation_status"), CancellationStatus
            ),
            "payment_status": check.payment_status("payment_status", raw.get("payment_status")),
            "status": check.text("status", raw.get("status"), max_length=128),
            "custom_fields": check.custom_fields("custom_fields", raw.get("custom_fields")),
        }
    )
    if customer is not None:
        document["customer"] = customer
    document["items"] = items
    document["status_history"] = history
    if parcels:
        document["shipments"] = parcels
    if check.errors:
        raise DocumentError(_dedupe(check.errors))
    return document


def _shipments(
    check: _Normalizer,
    raw: Any,
    items_raw: Any,
    items: list[dict[str, Any]],
    complete: bool,
) -> list[dict[str, Any]]:
    """The parcels, each checked; then no item shipped more often than it was ordered."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.error("shipments", "Must be a JSON array.")
        return []
    # Lines are checked against the order's items only when those are all readable.
    item_ids = {item["id"] for item in items} if complete or items_raw is None else None
    parcels: list[tuple[int, dict[str, Any]]] = []  # (position in the input, parcel)
    seen: set[str] = set()
    for index, shipment_raw in enumerate(raw):
        parcel = check.shipment(f"shipments.{index}", shipment_raw, item_ids)
        if parcel is None:
            continue
        if parcel.get("id") is not None and parcel["id"] in seen:
            check.error(f"shipments.{index}.id", "Duplicate shipment id in this order.")
        seen.add(parcel.get("id"))
        parcels.append((index, parcel))
    if item_ids is not None:
        ordered = {item["id"]: item["quantity"] for item in items}
        lines = [
            (f"shipments.{index}.items.{line_index}.quantity", line)
            for index, parcel in parcels
            for line_index, line in enumerate(parcel["items"])
        ]
        too_many = shipments.over_shipped(
            ordered, [(line["item_id"], line["quantity"]) for _, line in lines]
        )
        for item_id, (shipped, quantity) in too_many.items():
            # Named at the item's last line: the one that goes over.
            path = [path for path, line in lines if line["item_id"] == item_id][-1]
            check.error(path, shipments.over_shipped_description(shipped, quantity))
    return [parcel for _, parcel in parcels]


def _dedupe(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(errors))
