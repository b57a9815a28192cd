"""A Shopify order (REST / webhook shape) as one order document for `orders_import`.

The mapping only reads: it writes nothing and logs nothing. What it builds goes through the
same import as `import_orders`, so every rule of docs/data.md (free text, card numbers, ids,
money, shipments) applies to Shopify orders too. Values a valid Shopify payload may carry but
a document may not (a phone that is no phone number, a province that is no ISO 3166-2 region,
a postal code that cannot be one of its country's even with the country's separator put in,
an http tracking link, a tracking number with other characters) are left out rather than
guessed at, so a real shop's order is never rejected for them.

Decisions:
- Money is the shop's currency (`currency`, the plain amounts or their `shop_money`), read
  from Shopify's strings with Decimal; `final_total_amount` is `total_price` as placed.
- A guest checkout (no `customer`) belongs to the customer `guest-<order id>`: one per
  order, so two guests are never merged, named and reached by the order's billing (else
  shipping) address and `email` / `phone`. Shopify gives it no customer page.
- The timeline: "Order placed." at `created_at`; "Paid." at `processed_at` once the order was
  paid; per fulfillment "Fulfilled." at its `created_at` and its delivery state at its
  `updated_at`; "Canceled in Shopify: <reason>." at `cancelled_at`, at the stage reached.
- Fulfillments whose status is `cancelled`, `error` or `failure` sent nothing: no parcel. A
  fulfillment with several tracking numbers is one parcel per number (`<id>`, `<id>-2`, ...),
  the items on the first.
- `is_refunded` is true only when Shopify says `refunded` (all of it); a partial refund shows
  as `payment_status` PARTIALLY_REFUNDED and in `total_refunded_amount`: the successful
  `refund` transactions (in another currency: the refund lines' shop money), at most the
  final total.
- Text longer than its column (names 150, address 255, city 128) is cut to fit. A line of
  more than 100 of one item is a MappingError: an order document holds 1-100 per line.
- A registered customer links to their page in the shop's admin (`customer.integration_info`,
  type SHOPIFY); a guest has no such page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from orders.models import CancellationStatus, DeliveryType, DetailedType, GenericType
from orders.rules import addresses, money, phones, places, shipments, statuses, times

# Shopify's shipment_status (the parcel, not the fulfillment request) -> our detailed type.
SHIPMENT_STATUS = {
    "label_printed": DetailedType.CONFIRMED,
    "label_purchased": DetailedType.CONFIRMED,
    "confirmed": DetailedType.CONFIRMED,
    "carrier_picked_up": DetailedType.IN_TRANSIT,
    "in_transit": DetailedType.IN_TRANSIT,
    "delayed": DetailedType.IN_TRANSIT,
    "out_for_delivery": DetailedType.OUT_FOR_DELIVERY,
    "attempted_delivery": DetailedType.ATTEMPTED_DELIVERY,
    "ready_for_pickup": DetailedType.READY_FOR_PICKUP,
    "picked_up": DetailedType.PICKED_UP,
    "delivered": DetailedType.DELIVERED,
    "failure": DetailedType.FAILURE,
}
# The order's stage (generic type) a parcel's detailed type puts it at.
STAGE = {
    DetailedType.CONFIRMED: GenericType.ON_ITS_WAY,
    DetailedType.IN_TRANSIT: GenericType.ON_ITS_WAY,
    DetailedType.FAILURE: GenericType.ON_ITS_WAY,
    DetailedType.OUT_FOR_DELIVERY: GenericType.OUT_FOR_DELIVERY,
    DetailedType.ATTEMPTED_DELIVERY: GenericType.OUT_FOR_DELIVERY,
    DetailedType.READY_FOR_PICKUP: GenericType.OUT_FOR_DELIVERY,
    DetailedType.PICKED_UP: GenericType.DELIVERED,
    DetailedType.DELIVERED: GenericType.DELIVERED,
}
STATUS_DESCRIPTION = {
    DetailedType.CONFIRMED: "Label created.",
    DetailedType.IN_TRANSIT: "In transit.",
    DetailedType.OUT_FOR_DELIVERY: "Out for delivery.",
    DetailedType.ATTEMPTED_DELIVERY: "Delivery attempted.",
    DetailedType.READY_FOR_PICKUP: "Ready for pickup.",
    DetailedType.PICKED_UP: "Picked up.",
    DetailedType.DELIVERED: "Delivered.",
    DetailedType.FAILURE: "Delivery failed.",
}
# Shopify's own words for its cancel_reason values, as its admin shows them.
CANCEL_REASONS = {
    "customer": "Customer changed or canceled order",
    "declined": "Payment declined",
    "fraud": "Fraudulent order",
    "inventory": "Items unavailable",
    "staff": "Staff error",
    "other": "Other",
}
# Fulfillments in these states shipped nothing (the items went back to unfulfilled).
NOT_SHIPPED = frozenset({"cancelled", "error", "failure"})
PAID = frozenset({"paid", "partially_refunded", "refunded"})
# The columns' sizes (docs/data.md): longer Shopify text is cut to fit, not refused.
NAME, LONG_NAME, CITY, ZIP, ADDRESS, LABEL = 150, 255, 128, 32, 255, 128

_AMOUNT_RE = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_LAST4_RE = re.compile(r"([0-9]{4})\D*$")
_email = EmailValidator()
_https = URLValidator(schemes=["https"])


class MappingError(ValueError):
    """A payload that is no Shopify order; `reason` names the field, never its value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def order_document(
    order: dict,
    *,
    shop_domain: str,
    brand: str,
    fulfillments: Iterable[dict] | None = None,
    refunds: Iterable[dict] | None = None,
) -> dict:
    """The order document for a Shopify order, with the fulfillments and refunds known for it
    (merged with the order's own by Shopify id, the given ones winning); MappingError when
    the payload is no Shopify order."""
    if not isinstance(order, dict):
        raise MappingError("The order is not a JSON object.")
    order_id = _id(order.get("id"), "id")
    currency = order.get("currency")
    if not currency:
        raise MappingError("The order has no currency.")
    if not money.is_currency(currency):
        raise MappingError("The order's currency is not an ISO 4217 code.")
    reader = _Money(currency)

    shipping = _address(order.get("shipping_address"), "shipping_address")
    billing = _address(order.get("billing_address"), "billing_address")
    customer = _customer(order, order_id, shipping or billing, billing or shipping, brand)
    if url := customer_external_url(shop_domain=shop_domain, customer_id=customer["id"]):
        customer["integration_info"] = {"external_url": url, "type": "SHOPIFY"}
    items = [_item(line, reader) for line in _list(order, "line_items")]
    parcels = _parcels(
        _merged(_list(order, "fulfillments"), fulfillments, "fulfillments"),
        {item["id"]: item["quantity"] for item in items},
        service_level=_service_level(order),
    )
    refunded = _refunded(_merged(_list(order, "refunds"), refunds, "refunds"), reader)
    summary = _price_summary(order, reader)
    if refunded is not None:
        # Shopify may refund in the customer's currency what the shop sees converted: the
        # refunds never count for more than was paid.
        summary["total_refunded_amount"] = _money_body(
            min(refunded, summary["final_total_amount"]["value"]), currency
        )

    financial = order.get("financial_status")
    document: dict[str, Any] = {
        "id": order_id,
        "order_number": _order_number(order),
        "customer_id": customer["id"],
        "brand": brand,
        "purchase_datetime": _timestamp(order.get("created_at"), "created_at"),
        "delivery_type": DeliveryType.SHIPPING.value if order.get("shipping_lines") else None,
        "shipping_address": shipping,
        "billing_address": billing,
        "price_summary": summary,
        "payment_details": _payment(order.get("payment_details"), financial),
        "cancellation_status": (
            CancellationStatus.CANCELED.value if order.get("cancelled_at") else None
        ),
        "payment_status": _payment_status(financial),
        "status": _status(order),
        "customer": customer,
        "items": items,
        "status_history": _history(order, parcels),
        "shipments": [parcel for parcel, _ in parcels],
    }
    return {key: value for key, value in document.items() if value not in (None, "", [], {})}


def order_updated_at(order: dict) -> datetime | None:
    """The order's `updated_at` as a UTC moment (milliseconds), or None without a valid one."""
    try:
        return times.parse_rfc3339(order.get("updated_at")) if isinstance(order, dict) else None
    except ValueError:
        return None


def customer_external_url(*, shop_domain: str, customer_id: str) -> str | None:
    """The customer's page in the shop's admin; None for a guest checkout (no page)."""
    if not customer_id.isdigit():
        return None
    return f"https://{shop_domain}/admin/customers/{customer_id}"


# --- parts of the document ---


def _id(value: Any, field: str) -> str:
    """Shopify's numeric id as a decimal string."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        missing = value is None and "." not in field
        raise MappingError(
            f"The order has no {field}." if missing else f"{field} is not a Shopify id."
        )
    text = str(value)
    if not text.isascii() or not text.isdigit() or int(text) <= 0:
        raise MappingError(f"{field} is not a Shopify id.")
    return str(int(text))


def _list(data: dict, field: str) -> list:
    value = data.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(f"{field} is not a JSON array.")
    return value


def _object(value: Any, field: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MappingError(f"{field} is not a JSON object.")
    return value


def _merged(own: list, given: Iterable[dict] | None, field: str) -> list[dict]:
    """The order's own entries and the given ones, by Shopify id; a given one replaces the
    order's entry with its id. Order: by creation time, then as given."""
    merged: dict[str, dict] = {}
    for entry in [*own, *(given or [])]:
        if not isinstance(entry, dict):
            raise MappingError(f"An entry of {field} is not a JSON object.")
        merged[_id(entry.get("id"), f"{field}.id")] = entry
    return sorted(
        merged.values(),
        key=lambda entry: _timestamp(entry.get("created_at"), f"{field}.created_at") or "",
    )


def _text(value: Any, limit: int) -> str | None:
    """Shopify text as a document can hold it: trimmed, no NUL, cut to the column's size."""
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip()[:limit].strip() or None


def _timestamp(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return times.rfc3339(times.parse_rfc3339(value))
    except ValueError:
        raise MappingError(f"{field} is not an RFC 3339 timestamp.") from None


def _order_number(order: dict) -> str:
    name = _text(order.get("name"), LABEL)
    if name:
        return name
    number = order.get("order_number")
    if isinstance(number, int) and not isinstance(number, bool):
        return f"#{number}"
    raise MappingError("The order has no name (order number).")


class _Money:
    """Reads Shopify's money strings in one currency, exactly."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def amount(self, value: Any, field: str) -> Decimal:
        if isinstance(value, float):
            value = repr(value)  # never arithmetic on a float: its shortest repr is the amount
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise MappingError(f"{field} is not an amount of money.")
        if isinstance(value, str) and not _AMOUNT_RE.match(value.strip()):
            raise MappingError(f"{field} is not an amount of money.")
        try:
            amount = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise MappingError(f"{field} is not an amount of money.") from None
        try:
            money.validate_amount(amount, self.currency)
        except ValidationError:
            raise MappingError(f"{field} is not an amount of money in {self.currency}.") from None
        # 1000.00 JPY is 1000: the currency's own decimals (an exact step, never rounding).
        return amount.quantize(Decimal(1).scaleb(-money.currency_exponent(self.currency)))

    def field(self, data: dict, field: str, path: str | None = None) -> Decimal | None:
        """data[field], else data[field + "_set"].shop_money.amount; None when neither."""
        value = data.get(field)
        if value is None:
            value = _shop_money(data.get(f"{field}_set"))
        return None if value is None else self.amount(value, path or field)

    def shop(self, data: dict, field: str, path: str) -> Decimal | None:
        """The shop money of data[field + "_set"], else data[field]: for objects whose plain
        amounts may be in the customer's currency (refund lines)."""
        value = _shop_money(data.get(f"{field}_set"))
        if value is None:
            value = data.get(field)
        return None if value is None else self.amount(value, path)

    def signed(self, value: Any, field: str) -> Decimal:
        """An amount Shopify may write negative (order adjustments), as its size."""
        if isinstance(value, str):
            value = value.strip().removeprefix("-")
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            value = abs(value)
        return self.amount(value, field)


def _shop_money(money_set: Any) -> Any:
    """The shop-currency amount of a Shopify money set ({"shop_money": {"amount": ...}})."""
    shop = money_set.get("shop_money") if isinstance(money_set, dict) else None
    return shop.get("amount") if isinstance(shop, dict) else None


def _money_body(value: Decimal, currency: str) -> dict:
    return {"value": value, "currency": currency}


def _price_summary(order: dict, reader: _Money) -> dict:
    final = reader.field(order, "total_price")
    if final is None:
        raise MappingError("The order has no total_price.")
    original = reader.field(order, "total_line_items_price")
    if original is None:
        original = reader.field(order, "subtotal_price")
    amounts = {
        "original_total_amount": original if original is not None else final,
        "discounts_amount": reader.field(order, "total_discounts"),
        "shipping_amount": _shipping_amount(order, reader),
        "taxes_amount": reader.field(order, "total_tax"),
        "final_total_amount": final,
    }
    return {
        name: _money_body(value, reader.currency)
        for name, value in amounts.items()
        if value is not None
    }


def _shipping_amount(order: dict, reader: _Money) -> Decimal | None:
    """The shipping charged before discounts: total_shipping_price_set, else the lines."""
    total = _object(order.get("total_shipping_price_set"), "total_shipping_price_set")
    shop = _object((total or {}).get("shop_money"), "total_shipping_price_set.shop_money")
    if shop and shop.get("amount") is not None:
        return reader.amount(shop["amount"], "total_shipping_price_set")
    lines = _list(order, "shipping_lines")
    if not lines:
        return None
    prices = []
    for line in lines:
        line = _object(line, "shipping_lines")
        price = reader.field(line, "price", "shipping_lines.price")
        if price is not None and not line.get("is_removed"):
            prices.append(price)
    return sum(prices, Decimal(0))


def _service_level(order: dict) -> str | None:
    for line in _list(order, "shipping_lines"):
        if isinstance(line, dict) and not line.get("is_removed"):
            return _text(line.get("title"), LABEL)
    return None


def _refunded(refunds: list[dict], reader: _Money) -> Decimal | None:
    """What the refunds gave back, in the shop's currency; None when there are none.

    A refund's successful `refund` transactions; when those are in another currency (a
    multi-currency shop pays back in the customer's), the shop money of its lines and of
    its shipping refund. A refund whose transactions all failed gave nothing back.
    """
    if not refunds:
        return None
    total = Decimal(0)
    for refund in refunds:
        paid_back = [
            transaction
            for transaction in _list(refund, "transactions")
            if isinstance(transaction, dict)
            and transaction.get("kind") == "refund"
            and transaction.get("status") == "success"
        ]
        if all(t.get("currency") in (None, reader.currency) for t in paid_back):
            for transaction in paid_back:
                total += reader.amount(transaction.get("amount"), "refunds.transactions.amount")
            continue
        for line in _list(refund, "refund_line_items"):
            line = _object(line, "refunds.refund_line_items")
            for field in ("subtotal", "total_tax"):
                total += reader.shop(line, field, f"refunds.refund_line_items.{field}") or 0
        for adjustment in _list(refund, "order_adjustments"):
            adjustment = _object(adjustment, "refunds.order_adjustments")
            if adjustment.get("kind") == "shipping_refund":
                amount = _shop_money(adjustment.get("amount_set"))
                if amount is None:
                    amount = adjustment.get("amount")
                if amount is not None:
                    total += reader.signed(amount, "refunds.order_adjustments.amount")
    return total


def _address(raw: Any, field: str) -> dict | None:
    raw = _object(raw, field)
    if not raw:
        return None
    country = raw.get("country_code")
    country = country.upper() if isinstance(country, str) else None
    if country not in places.countries():
        country = None
    region = None
    province = raw.get("province_code")
    if country and isinstance(province, str) and province.strip():
        # Shopify writes most regions without the country (KY) and some with it (PT-11).
        code = province.strip().upper()
        code = code if code.startswith(f"{country}-") else f"{country}-{code}"
        region = code if code in places.regions() else None
    lines = [_text(raw.get(name), ADDRESS) for name in ("address1", "address2")]
    phone = raw.get("phone")
    body = {
        "first_name": _text(raw.get("first_name"), NAME),
        "last_name": _text(raw.get("last_name"), NAME),
        "phone_number": phones.to_e164(phone, country) if isinstance(phone, str) else None,
        "address": _text(", ".join(line for line in lines if line), ADDRESS),
        "zip_code": _zip_code(raw.get("zip"), country),
        "city": _text(raw.get("city"), CITY),
        "region_code": region,
        "country_code": country,
    }
    body = {key: value for key, value in body.items() if value}
    if not body:
        return None
    body["default"] = False
    return body


def _zip_code(value: Any, country: str | None) -> str | None:
    """The postal code in its country's shape ("1100048" -> "1100-048"); left out, rather than
    the whole order refused, when it cannot be one of the country's codes."""
    code = _text(value, ZIP)
    if not code or not country:
        return code
    try:
        return addresses.normalize_zip_code(code, country)
    except ValidationError:
        return None


def _customer(
    order: dict, order_id: str, address: dict | None, named_by: dict | None, brand: str
) -> dict:
    """The buyer: Shopify's customer, else (a guest checkout) one made from the order.

    Where Shopify leaves the customer's name out (no access to protected customer data, or
    a guest), the billing address (else the shipping one) names them.
    """
    raw = _object(order.get("customer"), "customer") or {}
    region = (address or {}).get("country_code")
    if raw.get("id") is not None:
        customer_id = _id(raw["id"], "customer.id")
        default = _object(raw.get("default_address"), "customer.default_address") or {}
        region = default.get("country_code") or region
        since = _timestamp(raw.get("created_at"), "customer.created_at")
    else:
        customer_id, raw, since = f"guest-{order_id}", {}, None
    if not (raw.get("first_name") or raw.get("last_name")):
        raw = {**raw, **{name: (named_by or {}).get(name) for name in ("first_name", "last_name")}}
    phone = raw.get("phone") or order.get("phone")
    body = {
        "id": customer_id,
        "first_name": _text(raw.get("first_name"), NAME),
        "last_name": _text(raw.get("last_name"), NAME),
        "email": _valid_email(raw.get("email") or order.get("email") or order.get("contact_email")),
        "phone_number": phones.to_e164(phone, region) if isinstance(phone, str) else None,
        "brand": brand or None,
        "customer_since": since,
    }
    return {key: value for key, value in body.items() if value}


def _valid_email(value: Any) -> str | None:
    text = _text(value, 254)
    if not text:
        return None
    try:
        _email(text)
    except ValidationError:
        return None
    return text


def _item(raw: Any, reader: _Money) -> dict:
    raw = _object(raw, "line_items")
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise MappingError("line_items.quantity is not a whole number of at least 1.")
    if quantity > 100:
        # Order documents hold 1-100 of an item per line.
        raise MappingError("line_items.quantity is over 100, more than an order line holds.")
    price = reader.field(raw, "price", "line_items.price")
    if price is None:
        raise MappingError("line_items.price is missing.")
    image = raw.get("image")
    image = image.get("src") if isinstance(image, dict) else image
    body = {
        "id": _id(raw.get("id"), "line_items.id"),
        "name": _text(raw.get("name") or raw.get("title"), LONG_NAME),
        "sku": _text(raw.get("sku"), LABEL),
        "quantity": quantity,
        "price": _money_body(price, reader.currency),
        "image_url": image if _is_https(image) else None,
    }
    return {key: value for key, value in body.items() if value is not None}


def _is_https(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 1024:
        return False
    try:
        _https(value)
    except ValidationError:
        return False
    return True


def _payment(raw: Any, financial: Any) -> dict | None:
    """Brand and last four digits only, whatever else Shopify sends (never more)."""
    raw = _object(raw, "payment_details") or {}
    number = raw.get("credit_card_number")
    last4 = _LAST4_RE.search(number) if isinstance(number, str) else None
    body = {
        "card_brand": _text(raw.get("credit_card_company"), 64),
        "card_number": f"**** **** **** {last4.group(1)}" if last4 else None,
    }
    body = {key: value for key, value in body.items() if value}
    if isinstance(financial, str) and financial:
        body["is_refunded"] = financial == "refunded"
    return body or None


def _status(order: dict) -> str:
    """Shopify's own words for where the order stands, as its admin filters them."""
    if order.get("cancelled_at"):
        return "cancelled"
    return "closed" if order.get("closed_at") else "open"


def _payment_status(financial: Any) -> str | None:
    if not isinstance(financial, str):
        return None
    try:
        return statuses.payment_status(financial) or None
    except ValidationError:
        return None


def _parcels(
    fulfillments: list[dict], ordered: dict[str, int], *, service_level: str | None
) -> list[tuple[dict, dict]]:
    """(shipment, fulfillment) for each parcel the fulfillments sent, oldest first.

    A parcel never holds more of an item than is left unshipped: Shopify's counts should not
    go over, but a fulfillment update and an order edit may cross, and a document that went
    over would be refused whole.
    """
    unshipped = dict(ordered)
    parcels = []
    for fulfillment in fulfillments:
        if fulfillment.get("status") in NOT_SHIPPED:
            continue
        fulfillment_id = _id(fulfillment.get("id"), "fulfillments.id")
        numbers = [
            number
            for number in _tracking_numbers(fulfillment)
            if shipments.TRACKING_NUMBER_RE.match(shipments.normalize_tracking_number(number))
        ] or [None]
        urls = _list(fulfillment, "tracking_urls") or [fulfillment.get("tracking_url")]
        lines: dict[str, int] = {}
        for line in _list(fulfillment, "line_items"):
            line = _object(line, "fulfillments.line_items")
            item_id = _id(line.get("id"), "fulfillments.line_items.id")
            quantity = line.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                continue
            quantity = min(quantity, unshipped.get(item_id, 0))
            if quantity > 0:
                unshipped[item_id] -= quantity
                lines[item_id] = lines.get(item_id, 0) + quantity
        shipped = _timestamp(fulfillment.get("created_at"), "fulfillments.created_at")
        history = _parcel_history(fulfillment, shipped)
        for index, number in enumerate(numbers):
            url = urls[index] if index < len(urls) else None
            body = {
                "id": fulfillment_id if index == 0 else f"{fulfillment_id}-{index + 1}",
                "carrier": _text(fulfillment.get("tracking_company"), LABEL),
                "tracking_number": shipments.normalize_tracking_number(number) if number else None,
                "tracking_url": _tracking_url(url, number),
                "service_level": service_level,
                "shipping_date": shipped,
            }
            body = {key: value for key, value in body.items() if value}
            body["items"] = (
                [{"item_id": item, "quantity": count} for item, count in lines.items()]
                if index == 0
                else []
            )
            body["status_history"] = history
            parcels.append((body, fulfillment))
    return parcels


def _tracking_url(url: Any, number: str | None) -> str | None:
    """Shopify's link when it is an https link holding no card number but the parcel's own."""
    if not _is_https(url):
        return None
    try:
        shipments.validate_tracking_url(url, number or "")
    except ValidationError:
        return None
    return url


def _tracking_numbers(fulfillment: dict) -> list[str]:
    numbers = _list(fulfillment, "tracking_numbers") or [fulfillment.get("tracking_number")]
    return [number.strip() for number in numbers if isinstance(number, str) and number.strip()]


def _parcel_history(fulfillment: dict, shipped: str | None) -> list[dict]:
    """The fulfillment's creation, then its shipment_status at its last update."""
    events = []
    if shipped:
        events.append(
            {
                "detailed_type": DetailedType.CONFIRMED.value,
                "status_date_time": shipped,
                "description": "Fulfilled in Shopify.",
            }
        )
    detailed = SHIPMENT_STATUS.get(fulfillment.get("shipment_status"))
    updated = _timestamp(fulfillment.get("updated_at"), "fulfillments.updated_at") or shipped
    if detailed and updated and not (detailed == DetailedType.CONFIRMED and events):
        events.append(
            {
                "detailed_type": detailed.value,
                "status_date_time": max(updated, shipped or updated),
                "description": STATUS_DESCRIPTION[detailed],
            }
        )
    return events


def _history(order: dict, parcels: list[tuple[dict, dict]]) -> list[dict]:
    """The order's timeline: placed, paid, each parcel's progress, canceled; oldest first."""
    events: list[dict] = []

    def add(generic: str, detailed: str | None, at: str | None, description: str) -> None:
        if at:
            event = {"generic_type": generic, "status_date_time": at, "description": description}
            if detailed:
                event["detailed_type"] = detailed
            events.append(event)

    created = _timestamp(order.get("created_at"), "created_at")
    add(GenericType.CONFIRMED, DetailedType.CONFIRMED, created, "Order placed.")
    if order.get("financial_status") in PAID:
        paid = _timestamp(order.get("processed_at"), "processed_at") or created
        add(GenericType.CONFIRMED, DetailedType.CONFIRMED, paid, "Paid.")
    for parcel, fulfillment in parcels:
        if parcel["id"] != _id(fulfillment.get("id"), "fulfillments.id"):
            continue  # a second tracking number of the same fulfillment
        carrier = parcel.get("carrier")
        add(
            GenericType.ON_ITS_WAY,
            None,
            parcel.get("shipping_date"),
            f"Fulfilled: sent with {carrier}." if carrier else "Fulfilled.",
        )
        latest = parcel["status_history"][-1] if parcel["status_history"] else None
        if latest and latest["detailed_type"] != DetailedType.CONFIRMED:
            detailed = DetailedType(latest["detailed_type"])
            add(STAGE[detailed], detailed, latest["status_date_time"], latest["description"])
    events.sort(key=lambda event: event["status_date_time"])
    canceled = _timestamp(order.get("cancelled_at"), "cancelled_at")
    if canceled:
        # Cancellation is not a stage: the event keeps the stage the order had reached.
        before = [event for event in events if event["status_date_time"] <= canceled]
        stage = before[-1] if before else {"generic_type": GenericType.UNKNOWN}
        reason = CANCEL_REASONS.get(order.get("cancel_reason"), CANCEL_REASONS["other"])
        add(
            stage["generic_type"],
            stage.get("detailed_type"),
            canceled,
            f"Canceled in Shopify: {reason}.",
        )
        events.sort(key=lambda event: event["status_date_time"])
    return [
        {key: str(value) if key.endswith("_type") else value for key, value in event.items()}
        for event in events
    ]
