"""The per-field checks of an imported record, collecting every problem as they go."""

from __future__ import annotations

from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from orders.documents.body import compact
from orders.documents.fields import (
    ADDRESS_FIELDS,
    CUSTOMER_FIELDS,
    INTEGRATION_INFO_FIELDS,
    ITEM_FIELDS,
    MONEY_FIELDS,
    SHIPMENT_FIELDS,
    SHIPMENT_ITEM_FIELDS,
    SHIPMENT_STATUS_FIELDS,
    STATUS_FIELDS,
)
from orders.models import DetailedType, GenericType, IntegrationType
from orders.rules import (
    addresses,
    cards,
    custom_fields,
    ids,
    money,
    phones,
    shipments,
    statuses,
    times,
)

# Error descriptions never repeat the offending value: a value may be a payment card number.
PAN_DESCRIPTION = cards.PAN_DESCRIPTION
MAX_TEXT = 10_000
_email = EmailValidator()
_url = URLValidator(schemes=["http", "https"])


@cache
def _values(choices: type) -> frozenset[str]:
    # TextChoices.values builds a new list on every access; imports check every record.
    return frozenset(choices.values)


@lru_cache(maxsize=4096)
def _url_ok(value: str) -> bool:
    # Imported files repeat the same item images and card icons on many records.
    try:
        _url(value)
    except ValidationError:
        return False
    return True


def _safe_key(key: Any) -> str:
    key = str(key)
    return "<redacted>" if cards.contains_full_card_number(key) else key


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

    def rule(self, path: str, check: Any, value: Any, *args: Any) -> Any:
        """value when the rule accepts it; else its message is recorded and None returned."""
        try:
            check(value, *args)
        except ValidationError as exc:
            self.error(path, exc.messages[0])
            return None
        return value

    def ident(self, path: str, value: Any, *, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not ids.is_valid_id(value):
            self.error(path, ids.ID_DESCRIPTION if value is not None else "This field is required.")
            return None
        return value

    def choice(self, path: str, value: Any, choices: type) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in _values(choices):
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
        try:
            moment = times.parse_rfc3339(value)
        except ValueError:
            self.error(path, times.RFC3339_DESCRIPTION)
            return None
        return times.rfc3339(moment)

    def url(self, path: str, value: Any) -> str | None:
        value = self.text(path, value, max_length=1024)
        if value is None:
            return None
        if not _url_ok(value):
            self.error(path, "Must be an absolute http(s) URL.")
            return None
        return value

    def phone(self, path: str, value: Any, region: str | None) -> str | None:
        value = self.text(path, value, max_length=32)
        if value is None:
            return None
        e164 = phones.to_e164(value, region)
        if e164 is None:
            self.error(path, phones.PHONE_DESCRIPTION)
        return e164

    def custom_fields(self, path: str, value: Any) -> dict[str, Any] | None:
        fields, problems = custom_fields.check(value)
        for key, description in problems:
            self.error(f"{path}.{key}" if key else path, description)
        return fields or None

    def payment_status(self, path: str, value: Any) -> str | None:
        """As the source gives it, upper-cased: "partially refunded" -> PARTIALLY_REFUNDED.

        Whitespace only is no status word: it is refused, not read as absent."""
        value = self.text(path, value, max_length=32)
        if value is None:
            return None
        try:
            status = statuses.payment_status(value)
        except ValidationError as exc:
            self.error(path, exc.messages[0])
            return None
        if not status:
            self.error(path, statuses.PAYMENT_STATUS_DESCRIPTION)
            return None
        return status

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
        if not money.is_currency(currency):
            self.error(f"{path}.currency", money.CURRENCY_DESCRIPTION)
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
            money.validate_amount(amount, currency)
        except ValidationError as exc:
            self.error(f"{path}.value", exc.messages[0])
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
        return compact(
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
                "custom_fields": self.custom_fields(
                    "customer.custom_fields", raw.get("custom_fields")
                ),
                "integration_info": self.integration_info(
                    "customer.integration_info", raw.get("integration_info"), raw.get("id")
                ),
            }
        )

    def integration_info(self, path: str, raw: Any, customer_id: Any) -> dict[str, Any] | None:
        """Where the customer lives in the system they came from: an https page and its kind.

        The page's address carries the customer's own id, which may be 13 digits or more: it
        is taken out before the card-number check, anything else card-like is refused."""
        raw = self.obj(path, raw, INTEGRATION_INFO_FIELDS)
        if raw is None:
            return None
        url = self.url(f"{path}.external_url", raw.get("external_url"))
        own_id = customer_id if isinstance(customer_id, str) else ""
        if raw.get("external_url") is None:
            self.error(f"{path}.external_url", "This field is required.")
        elif url is not None and not url.startswith("https://"):
            self.error(f"{path}.external_url", "Must be an absolute https URL.")
        elif url is not None and cards.contains_full_card_number_besides(url, own_id):
            self.error(f"{path}.external_url", cards.PAN_DESCRIPTION)
            url = None
        kind = self.choice(f"{path}.type", raw.get("type"), IntegrationType)
        if raw.get("type") is None:
            self.error(f"{path}.type", "This field is required.")
        return compact({"external_url": url, "type": kind}) or None

    def address(self, path: str, raw: Any) -> dict[str, Any] | None:
        raw = self.obj(path, raw, ADDRESS_FIELDS)
        if raw is None:
            return None
        # The address rules every face shares (rules.addresses): codes, phone, postal code,
        # free text. A full card number was already reported by normalize()'s first pass.
        values, problems = addresses.check(raw)
        for name, description in problems:
            if description != PAN_DESCRIPTION:
                self.error(f"{path}.{name}", description)
        body = compact(
            {
                "id": self.ident(f"{path}.id", raw.get("id"), required=False),
                **{name: values.get(name) for name in addresses.FIELDS},
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
            # The seed's example uses the detailed type as a generic one.
            generic = GenericType.ON_ITS_WAY.value
            detailed = detailed or DetailedType.IN_TRANSIT.value
        if generic is None:
            self.error(f"{path}.generic_type", "This field is required.")
        return compact(
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
        return compact(
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

    def shipment(self, path: str, raw: Any, item_ids: set[str] | None) -> dict[str, Any] | None:
        """A parcel; `item_ids` are the order's item ids (None when the items are broken)."""
        raw = self.obj(path, raw, SHIPMENT_FIELDS)
        if raw is None:
            return None
        number = self.text(f"{path}.tracking_number", raw.get("tracking_number"), max_length=128)
        if number is not None:
            number = self.rule(
                f"{path}.tracking_number", shipments.validate_tracking_number, number
            )
            number = shipments.normalize_tracking_number(number) if number else None
        url = self.text(f"{path}.tracking_url", raw.get("tracking_url"), max_length=1024)
        if url is not None:
            url = self.rule(
                f"{path}.tracking_url", shipments.validate_tracking_url, url, number or ""
            )
        start = self.timestamp(f"{path}.delivery_date_start", raw.get("delivery_date_start"))
        end = self.timestamp(f"{path}.delivery_date_end", raw.get("delivery_date_end"))
        if start and end:
            self.rule(
                f"{path}.delivery_date_end",
                shipments.validate_delivery_window,
                times.parse_rfc3339(start),
                times.parse_rfc3339(end),
            )
        body = compact(
            {
                "id": self.ident(f"{path}.id", raw.get("id")),
                "carrier": self.text(f"{path}.carrier", raw.get("carrier"), max_length=128),
                "tracking_number": number,
                "tracking_url": url,
                "service_level": self.text(
                    f"{path}.service_level", raw.get("service_level"), max_length=128
                ),
                "shipping_date": self.timestamp(f"{path}.shipping_date", raw.get("shipping_date")),
                "delivery_date_start": start,
                "delivery_date_end": end,
            }
        )
        body["items"] = self._shipment_items(f"{path}.items", raw.get("items"), item_ids)
        body["status_history"] = self._shipment_history(
            f"{path}.status_history", raw.get("status_history")
        )
        return body

    def _shipment_items(self, path: str, raw: Any, item_ids: set[str] | None) -> list[dict]:
        lines: list[dict[str, Any]] = []
        if raw is None:
            return lines
        if not isinstance(raw, list):
            self.error(path, "Must be a JSON array.")
            return lines
        seen: set[str] = set()
        for index, line_raw in enumerate(raw):
            line_path = f"{path}.{index}"
            line = self.obj(line_path, line_raw, SHIPMENT_ITEM_FIELDS)
            if line is None:
                continue
            item_id = self.ident(f"{line_path}.item_id", line.get("item_id"))
            if item_id is not None and item_ids is not None and item_id not in item_ids:
                self.error(f"{line_path}.item_id", "Must be the id of an item of this order.")
                item_id = None
            elif item_id is not None and item_id in seen:
                self.error(f"{line_path}.item_id", "Listed twice in this shipment.")
                item_id = None
            if line.get("quantity") is None:
                self.error(f"{line_path}.quantity", "This field is required.")
            quantity = self.integer(f"{line_path}.quantity", line.get("quantity"), low=1, high=100)
            if item_id is not None:
                seen.add(item_id)
            if item_id is not None and quantity is not None:
                lines.append({"item_id": item_id, "quantity": quantity})
        return lines

    def _shipment_history(self, path: str, raw: Any) -> list[dict]:
        events: list[dict[str, Any]] = []
        if raw is None:
            return events
        if not isinstance(raw, list):
            self.error(path, "Must be a JSON array.")
            return events
        for index, event_raw in enumerate(raw):
            event_path = f"{path}.{index}"
            event = self.obj(event_path, event_raw, SHIPMENT_STATUS_FIELDS)
            if event is None:
                continue
            if event.get("detailed_type") is None:
                self.error(f"{event_path}.detailed_type", "This field is required.")
            events.append(
                compact(
                    {
                        "detailed_type": self.choice(
                            f"{event_path}.detailed_type", event.get("detailed_type"), DetailedType
                        ),
                        "status_date_time": self.timestamp(
                            f"{event_path}.status_date_time",
                            event.get("status_date_time"),
                            required=True,
                        ),
                        "description": self.text(
                            f"{event_path}.description", event.get("description"), max_length=500
                        ),
                        "location": self.text(
                            f"{event_path}.location", event.get("location"), max_length=255
                        ),
                    }
                )
            )
        # Oldest first; equal timestamps keep their order (the later one is "recorded last").
        events.sort(key=lambda event: event.get("status_date_time", ""))
        return events

    def card_number(self, value: Any) -> str | None:
        path = "payment_details.card_number"
        if value is None or value == "":
            return None
        if isinstance(value, int) and cards.contains_full_card_number(str(value)):
            self.error(path, PAN_DESCRIPTION)
            return None
        if not isinstance(value, str):
            self.error(path, "Must be a string such as **** **** **** 4567.")
            return None
        if cards.contains_full_card_number(value):
            return None  # reported once, by the free-text scan
        try:
            return f"**** **** **** {cards.card_last4(value)}"
        except ValidationError as exc:
            self.error(path, exc.messages[0])
            return None


# The export omits empty values this way; normalising the same way keeps the two comparable.
