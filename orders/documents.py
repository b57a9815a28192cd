"""Order documents: the import/export format of SPEC §5.

An order document is the API order body without `_links` and derived values, plus `customer`,
`items` and `status_history`. `normalize()` turns a decoded record into the exact shape
`export_document()` writes for the stored order, so "unchanged" is a plain equality and
export -> import -> export is byte-identical.

Error descriptions never repeat the offending value: a value may be a payment card number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
from babel import Locale
from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from orders import serializers, validators
from orders.models import (
    CancellationStatus,
    DeliveryType,
    DetailedType,
    GenericType,
    Order,
)

CUSTOMER_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone_number",
    "brand",
    "customer_since",
)
# The address's own values, stored as model fields of the same names.
ADDRESS_VALUE_FIELDS = (
    "first_name",
    "last_name",
    "phone_number",
    "address",
    "zip_code",
    "city",
    "region_code",
    "country_code",
)
ADDRESS_FIELDS = ("id", *ADDRESS_VALUE_FIELDS, "default")
AMOUNT_FIELDS = (
    "original_total_amount",
    "discounts_amount",
    "shipping_amount",
    "taxes_amount",
    "final_total_amount",
)
PAYMENT_FIELDS = ("card_brand", "card_brand_image_url", "card_number", "is_refunded")
EXTRA_INFO_FIELDS = ("highlighted_item_image_url", "latest_status_info")
STATUS_FIELDS = ("generic_type", "detailed_type", "status_date_time", "description")
ITEM_FIELDS = ("id", "name", "sku", "quantity", "price", "image_url", "description")
MONEY_FIELDS = ("value", "currency")
ORDER_FIELDS = (
    "id",
    "order_number",
    "customer_id",
    "brand",
    "purchase_datetime",
    "delivery_type",
    "shipping_address",
    "billing_address",
    "items_number",
    "price_summary",
    "payment_details",
    "order_extra_info",
    "cancellation_status",
    "customer",
    "items",
    "status_history",
)

# SPEC §1: ids, order numbers, phones and zip codes are not free text, so a long digit run
# there is not taken for a card number. Every other string is checked.
NOT_FREE_TEXT = frozenset({"id", "customer_id", "order_number", "phone_number", "zip_code"})

ID_DESCRIPTION = "Must be 1-128 characters from A-Z a-z 0-9 . _ ~ : @ -"
PAN_DESCRIPTION = "Looks like a full payment card number; only the last four digits may be stored."
RFC3339_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)
MAX_AMOUNT = Decimal(10) ** 12  # models.MONEY: 15 digits, 3 of them decimals
MAX_TEXT = 10_000
CURRENCIES = frozenset(list_currencies())
# ISO 3166-1 alpha-2 as CLDR knows it, without its pseudo-regions (EU, UN, ZZ ...).
COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "UN", "QO", "ZZ"}
)
_email = EmailValidator()
_url = URLValidator(schemes=["http", "https"])


class DocumentError(Exception):
    """A record that cannot be imported: [(dotted field path, description)]."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


@dataclass(frozen=True)
class RawRecord:
    """One record of an input file: its 1-based position and the decoded value or why not."""

    position: int
    value: Any = None
    error: str = ""


# --- Reading files ------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def _describe(exc: ValueError) -> str:
    # JSONDecodeError.msg/lineno/colno never contain the document's text.
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return str(exc)


class FileNotJson(Exception):
    """The whole input is unreadable (a broken JSON array, or not UTF-8)."""


def parse(data: bytes | str) -> list[RawRecord]:
    """Decode a JSON array, a single JSON object or JSON Lines into numbered records."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileNotJson(f"The input is not UTF-8 text (byte {exc.start}).") from exc
    text = data.lstrip("\ufeff")
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            values = _loads(stripped)
        except ValueError as exc:
            raise FileNotJson(
                f"The input starts like a JSON array but is not valid JSON: {_describe(exc)}."
            ) from exc
        return [RawRecord(position, value) for position, value in enumerate(values, 1)]
    if stripped.startswith("{") and "\n" in stripped:
        # One pretty-printed object is a file of one record.
        try:
            return [RawRecord(1, _loads(stripped))]
        except ValueError:
            pass
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue  # blank lines are not records
        position = len(records) + 1
        try:
            records.append(RawRecord(position, _loads(line)))
        except ValueError as exc:
            records.append(RawRecord(position, error=f"Not valid JSON: {_describe(exc)}."))
    return records


# --- Export -------------------------------------------------------------------------------


def export_document(order: Order) -> dict[str, Any]:
    """The stored order as a document. Needs customer, addresses, items and events loaded."""
    document = serializers.order_body(order, derived=False)
    document["customer"] = serializers.customer_body(order.customer)
    document["items"] = [serializers.item_body(item) for item in order.items.all()]
    document["status_history"] = [
        serializers.status_event_body(event) for event in order.status_events.all()
    ]
    return document


# --- Import: validation and normalisation --------------------------------------------------


def iter_strings(value: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(dotted path, key, string) for every string in a decoded JSON value."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from iter_strings(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from iter_strings(child, f"{path}.{index}" if path else str(index))
    elif isinstance(value, str):
        key = path.rsplit(".", 1)[-1]
        yield path, key, value


def _safe_key(key: Any) -> str:
    key = str(key)
    return "<redacted>" if validators.contains_full_card_number(key) else key


class _Normalizer:
    """Collects every problem of one record while building its normalised document."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.currency: str | None = None
        self.currency_path = ""

    def error(self, path: str, description: str) -> None:
        self.errors.append((path, description))

    def obj(self, path: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(path, "Must be a JSON object.")
            return None
        for key in value:
            if key not in allowed:
                self.error(f"{path}.{_safe_key(key)}" if path else _safe_key(key), "Unknown field.")
        return value

    def text(self, path: str, value: Any, *, max_length: int, required: bool = False) -> str | None:
        if value is None or value == "":
            if required:
                self.error(path, "This field is required.")
            return None
        if not isinstance(value, str):
            self.error(path, "Must be a string.")
            return None
        if "\x00" in value:
            self.error(path, "Must not contain NUL characters.")
            return None
        if len(value) > max_length:
            self.error(path, f"Must be at most {max_length} characters.")
            return None
        return value

    def ident(self, path: str, value: Any, *, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not validators.ID_RE.match(value):
            self.error(path, ID_DESCRIPTION if value is not None else "This field is required.")
            return None
        return value

    def choice(self, path: str, value: Any, choices: type) -> str | None:
        if value is None:
            return None
        if value not in choices.values:
            self.error(path, "Must be one of " + ", ".join(choices.values) + ".")
            return None
        return value

    def boolean(self, path: str, value: Any) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(path, "Must be true or false.")
            return None
        return value

    def integer(self, path: str, value: Any, *, low: int, high: int) -> int | None:
        if value is None:
            return None
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)  # 3.0 is still a whole number
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, "Must be a whole number.")
            return None
        if not low <= value <= high:
            self.error(path, f"Must be between {low} and {high}.")
            return None
        return value

    def timestamp(self, path: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.error(path, "This field is required.")
            return None
        match = RFC3339_RE.match(value) if isinstance(value, str) else None
        try:
            if not match:
                raise ValueError
            day, clock, fraction, offset = match.groups()
            millis = int(((fraction or "") + "000")[:3])  # truncated, never rounded
            moment = datetime.fromisoformat(f"{day}T{clock}").replace(microsecond=millis * 1000)
            if offset.upper() != "Z":
                sign = 1 if offset[0] == "+" else -1
                hours, minutes = int(offset[1:3]), int(offset[4:6])
                if hours > 23 or minutes > 59:
                    raise ValueError
                moment = moment - sign * timedelta(hours=hours, minutes=minutes)
            moment = moment.replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            self.error(path, "Must be an RFC 3339 timestamp such as 2021-09-14T12:16:50.078Z.")
            return None
        return serializers.rfc3339(moment)

    def url(self, path: str, value: Any) -> str | None:
        value = self.text(path, value, max_length=1024)
        if value is None:
            return None
        try:
            _url(value)
        except ValidationError:
            self.error(path, "Must be an absolute http(s) URL.")
            return None
        return value

    def phone(self, path: str, value: Any, region: str | None) -> str | None:
        value = self.text(path, value, max_length=32)
        if value is None:
            return None
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            number = None
        e164 = ""
        if number is not None and phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if not validators.E164_RE.match(e164):
            self.error(path, "Must be a phone number in international form such as +351910000000.")
            return None
        return e164

    def money(self, path: str, value: Any, *, required: bool = False) -> dict | None:
        if value is None:
            if required:
                self.error(path, "This field is required.")
            return None
        value = self.obj(path, value, MONEY_FIELDS)
        if value is None:
            return None
        amount, currency = value.get("value"), value.get("currency")
        ok = True
        if isinstance(amount, float):
            amount = Decimal(repr(amount))  # callers in Python; files are read as Decimal
        if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
            self.error(f"{path}.value", "Must be a JSON number.")
            ok = False
        if not isinstance(currency, str) or currency not in CURRENCIES:
            self.error(f"{path}.currency", "Must be an ISO 4217 currency code such as EUR.")
            ok = False
        if not ok:
            return None
        amount = Decimal(amount)
        if self.currency is None:
            self.currency, self.currency_path = currency, f"{path}.currency"
        elif currency != self.currency:
            self.error(
                f"{path}.currency",
                f"An order has one currency: {self.currency} (from {self.currency_path}).",
            )
            return None
        try:
            validators.validate_amount(amount, currency)
        except ValidationError as exc:
            self.error(f"{path}.value", exc.messages[0])
            return None
        if amount >= MAX_AMOUNT or -amount.as_tuple().exponent > 3 and amount != round(amount, 3):
            self.error(f"{path}.value", "Out of range: at most 12 digits and 3 decimals.")
            return None
        return {"value": amount, "currency": currency}

    # --- parts of a document ---

    def customer(self, raw: Any, region: str | None) -> dict[str, Any] | None:
        raw = self.obj("customer", raw, CUSTOMER_FIELDS)
        if raw is None:
            return None
        email = self.text("customer.email", raw.get("email"), max_length=254)
        if email is not None:
            try:
                _email(email)
            except ValidationError:
                self.error("customer.email", "Must be an email address.")
        return _compact(
            {
                "id": self.ident("customer.id", raw.get("id"), required=False),
                "first_name": self.text(
                    "customer.first_name", raw.get("first_name"), max_length=150
                ),
                "last_name": self.text("customer.last_name", raw.get("last_name"), max_length=150),
                "email": email,
                "phone_number": self.phone(
                    "customer.phone_number", raw.get("phone_number"), region
                ),
                "brand": self.text("customer.brand", raw.get("brand"), max_length=128),
                "customer_since": self.timestamp(
                    "customer.customer_since", raw.get("customer_since")
                ),
            }
        )

    def address(self, path: str, raw: Any) -> dict[str, Any] | None:
        raw = self.obj(path, raw, ADDRESS_FIELDS)
        if raw is None:
            return None
        country = raw.get("country_code")
        if country is not None and (not isinstance(country, str) or country not in COUNTRIES):
            self.error(f"{path}.country_code", "Must be an ISO 3166-1 alpha-2 code such as PT.")
            country = None
        region = raw.get("region_code")
        if region is not None:
            if not isinstance(region, str) or not validators.REGION_RE.match(region):
                self.error(f"{path}.region_code", "Must be an ISO 3166-2 code such as PT-11.")
                region = None
            elif country and not region.startswith(f"{country}-"):
                self.error(f"{path}.region_code", "Must be a region of country_code.")
                region = None
        body = _compact(
            {
                "id": self.ident(f"{path}.id", raw.get("id"), required=False),
                "first_name": self.text(
                    f"{path}.first_name", raw.get("first_name"), max_length=150
                ),
                "last_name": self.text(f"{path}.last_name", raw.get("last_name"), max_length=150),
                "phone_number": self.phone(
                    f"{path}.phone_number", raw.get("phone_number"), country
                ),
                "address": self.text(f"{path}.address", raw.get("address"), max_length=255),
                "zip_code": self.text(f"{path}.zip_code", raw.get("zip_code"), max_length=32),
                "city": self.text(f"{path}.city", raw.get("city"), max_length=128),
                "region_code": region,
                "country_code": country,
            }
        )
        body["default"] = bool(self.boolean(f"{path}.default", raw.get("default")))
        return body

    def status(self, path: str, raw: Any) -> dict[str, Any] | None:
        raw = self.obj(path, raw, STATUS_FIELDS)
        if raw is None:
            return None
        generic = raw.get("generic_type")
        detailed = raw.get("detailed_type")
        if generic == "IN_TRANSIT":
            # The seed's example uses the detailed type as a generic one (SPEC §1).
            generic = GenericType.ON_ITS_WAY.value
            detailed = detailed or DetailedType.IN_TRANSIT.value
        if generic is None:
            self.error(f"{path}.generic_type", "This field is required.")
        return _compact(
            {
                "generic_type": self.choice(f"{path}.generic_type", generic, GenericType),
                "detailed_type": self.choice(f"{path}.detailed_type", detailed, DetailedType),
                "status_date_time": self.timestamp(
                    f"{path}.status_date_time", raw.get("status_date_time"), required=True
                ),
                "description": self.text(
                    f"{path}.description", raw.get("description"), max_length=500
                ),
            }
        )

    def item(self, path: str, raw: Any) -> dict[str, Any] | None:
        raw = self.obj(path, raw, ITEM_FIELDS)
        if raw is None:
            return None
        quantity = raw.get("quantity")
        if quantity is None:
            self.error(f"{path}.quantity", "This field is required.")
        return _compact(
            {
                "id": self.ident(f"{path}.id", raw.get("id")),
                "name": self.text(f"{path}.name", raw.get("name"), max_length=255),
                "sku": self.text(f"{path}.sku", raw.get("sku"), max_length=128),
                "quantity": self.integer(f"{path}.quantity", quantity, low=1, high=100),
                "price": self.money(f"{path}.price", raw.get("price"), required=True),
                "image_url": self.url(f"{path}.image_url", raw.get("image_url")),
                "description": self.text(
                    f"{path}.description", raw.get("description"), max_length=MAX_TEXT
                ),
            }
        )

    def card_number(self, value: Any) -> str | None:
        path = "payment_details.card_number"
        if value is None or value == "":
            return None
        if isinstance(value, int) and validators.contains_full_card_number(str(value)):
            self.error(path, PAN_DESCRIPTION)
            return None
        if not isinstance(value, str):
            self.error(path, "Must be a string such as **** **** **** 4567.")
            return None
        if validators.contains_full_card_number(value):
            return None  # reported once, by the free-text scan
        try:
            return f"**** **** **** {validators.card_last4(value)}"
        except ValidationError as exc:
            self.error(path, exc.messages[0])
            return None


# The export omits empty values this way; normalising the same way keeps the two comparable.
_compact = serializers._compact


def normalize(raw: Any) -> dict[str, Any]:
    """The record in export shape, or DocumentError listing every problem found."""
    check = _Normalizer()
    if not isinstance(raw, dict):
        raise DocumentError([("", "Must be a JSON object (one order document).")])

    # PCI DSS 3.4.1 first: a full card number anywhere rejects the record.
    for path, key, value in iter_strings(raw):
        if key not in NOT_FREE_TEXT and validators.contains_full_card_number(value):
            check.error(path, PAN_DESCRIPTION)
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
    raw_summary = check.obj("price_summary", raw.get("price_summary"), AMOUNT_FIELDS)
    if raw_summary is not None:
        price_summary = _compact(
            {
                name: check.money(
                    f"price_summary.{name}",
                    raw_summary.get(name),
                    required=name in ("original_total_amount", "final_total_amount"),
                )
                for name in AMOUNT_FIELDS
            }
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
        }
    )
    if customer is not None:
        document["customer"] = customer
    document["items"] = items
    document["status_history"] = history
    if check.errors:
        raise DocumentError(_dedupe(check.errors))
    return document


def _dedupe(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(errors))
