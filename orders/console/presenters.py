"""Shaping order data for the agent console: money, dates, places, the status stepper."""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from urllib.parse import unquote

from babel import Locale
from babel import dates as babel_dates
from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.console.locales import format_locale
from orders.models import (
    Address,
    CancelReason,
    DeliveryType,
    DetailedType,
    GenericType,
    Order,
    OrderItem,
    Shipment,
    StatusEvent,
)
from orders.rules import addresses, cards, carriers, phones, places
from orders.rules.text import fold

TZ_COOKIE = "tz"


def money(value: Decimal | None, currency: str, locale: str | None = None) -> str:
    """An amount in its currency's own decimals (JPY 0, EUR 2, KWD 3), in the agent's locale."""
    if value is None or not currency:
        return ""
    return format_currency(value, currency, locale=locale or format_locale())


def agent_time_zone(cookie: str | None) -> zoneinfo.ZoneInfo:
    """The zone the agent's browser reported, else the configured console default."""
    # console.js writes the name URL-encoded (America%2FNew_York); Django hands it over as is.
    for name in (unquote(cookie or ""), settings.ERCDASH_AGENT_TIME_ZONE):
        if name and len(name) <= 64:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


@dataclass(frozen=True)
class Moment:
    """A date or time as every console page shows it (see format_datetime)."""

    iso: str  # for <time datetime>: the exact value, in the agent's zone
    text: str  # what the agent reads out: medium date, short time
    title: str  # the full date, time to the second and the zone's name
    zone: str = ""  # the zone's abbreviation (WEST, EDT); "" for a date
    zone_key: str = ""  # the zone's IANA name (Europe/Lisbon)


@lru_cache(maxsize=64)
def _short_datetime_pattern(locale: str) -> str:
    """CLDR's medium date and short time joined the locale's way: `d MMM y, HH:mm` (en_GB),
    `MMM d, y, h:mm a` (en_US), `dd/MM/y, HH:mm` (pt_PT). The day and month are never
    two bare numbers in an order the agent might misread."""
    data = Locale.parse(locale)
    glue = data.datetime_formats["medium"]
    return glue.replace("{1}", data.date_formats["medium"].pattern).replace(
        "{0}", data.time_formats["short"].pattern
    )


def _plain(text: str) -> str:
    # CLDR puts a narrow no-break space before AM/PM; browsers went back to a plain space
    # after it broke copy and paste, so do we (CSS keeps a <time> on one line).
    return text.replace("\u202f", " ")


def format_datetime(
    value: datetime | date | None, locale: str | None = None, *, with_time: bool = True
) -> Moment | None:
    """One style for every date and time in the console, in the agent's zone and locale.

    A datetime shows its date and time (`7 Jan 2022, 00:00` in en_GB); a date, or a datetime
    with with_time=False, only the date (`7 Jan 2022`)."""
    if value is None:
        return None
    locale = locale or format_locale()
    if not isinstance(value, datetime):
        return Moment(
            iso=value.isoformat(),
            text=babel_dates.format_date(value, "medium", locale=locale),
            title=babel_dates.format_date(value, "full", locale=locale),
        )
    local = timezone.localtime(value)
    title = _plain(babel_dates.format_datetime(local, "full", locale=locale))
    if not with_time:
        text = babel_dates.format_date(local.date(), "medium", locale=locale)
        return Moment(iso=local.isoformat(), text=text, title=title)
    text = babel_dates.format_datetime(local, _short_datetime_pattern(locale), locale=locale)
    return Moment(
        iso=local.isoformat(),
        text=_plain(text),
        title=title,
        zone=local.tzname() or "",
        zone_key=str(local.tzinfo),
    )


@dataclass(frozen=True)
class PriceLine:
    label: str
    sign: str  # "", "−", "+", "="
    amount: str
    total: bool = False


def price_lines(order: Order) -> list[PriceLine]:
    """How the final total is made up: original − discounts + shipping + taxes = final;
    then, when refunds are known, final − refunded = net payment."""
    rows = [
        (_("Original total"), "", order.original_total_amount, False),
        (_("Discounts"), "−", order.discounts_amount, False),
        (_("Shipping"), "+", order.shipping_amount, False),
        (_("Taxes"), "+", order.taxes_amount, False),
        (_("Final total"), "=", order.final_total_amount, True),
        (_("Refunded"), "−", order.total_refunded_amount, False),
        (_("Net payment"), "=", order.net_payment_amount, True),
    ]
    return [
        PriceLine(str(label), sign, money(value, order.currency), total)
        for label, sign, value, total in rows
        if value is not None
    ]


STAGES = [
    GenericType.CONFIRMED,
    GenericType.ON_ITS_WAY,
    GenericType.OUT_FOR_DELIVERY,
    GenericType.DELIVERED,
]
STAGE_LABELS = {
    GenericType.CONFIRMED: pgettext_lazy("order stage", "Confirmed"),
    GenericType.ON_ITS_WAY: pgettext_lazy("order stage", "On its way"),
    GenericType.OUT_FOR_DELIVERY: pgettext_lazy("order stage", "Out for delivery"),
    GenericType.DELIVERED: pgettext_lazy("order stage", "Delivered"),
}
PICKUP_STAGE_LABELS = {
    **STAGE_LABELS,
    GenericType.OUT_FOR_DELIVERY: pgettext_lazy("order stage", "Ready for pickup"),
    GenericType.DELIVERED: pgettext_lazy("order stage", "Picked up"),
}
DETAILED_LABELS = {
    DetailedType.UNKNOWN: pgettext_lazy("order event", "Status update"),
    DetailedType.ATTEMPTED_DELIVERY: pgettext_lazy("order event", "Delivery attempted"),
    DetailedType.READY_FOR_PICKUP: pgettext_lazy("order event", "Ready for pickup"),
    DetailedType.PICKED_UP: pgettext_lazy("order event", "Picked up"),
    DetailedType.CONFIRMED: pgettext_lazy("order event", "Confirmed"),
    DetailedType.IN_TRANSIT: pgettext_lazy("order event", "In transit"),
    DetailedType.OUT_FOR_DELIVERY: pgettext_lazy("order event", "Out for delivery"),
    DetailedType.DELIVERED: pgettext_lazy("order event", "Delivered"),
    DetailedType.FAILURE: pgettext_lazy("order event", "Delivery failed"),
}
DELIVERY_LABELS = {
    DeliveryType.UNKNOWN: _("Unknown delivery type"),
    DeliveryType.LOCAL_DELIVERY: _("Local delivery"),
    DeliveryType.LOCAL_PICKUP: _("Store pickup"),
    DeliveryType.SHIPPING: _("Shipping"),
}
# Detailed types an agent must notice at a glance.
ALERT_TYPES = {DetailedType.ATTEMPTED_DELIVERY, DetailedType.FAILURE}


def stage_labels(order: Order) -> dict[str, object]:
    """Pickup orders are "ready for pickup" and "picked up", not out for delivery/delivered."""
    if order.delivery_type == DeliveryType.LOCAL_PICKUP:
        return PICKUP_STAGE_LABELS
    return STAGE_LABELS


@dataclass(frozen=True)
class Stage:
    label: str
    state: str  # "done", "current", "todo"
    events: list[TimelineEvent]


@dataclass(frozen=True)
class TimelineEvent:
    label: str
    at: Moment
    description: str
    alert: str  # "", "attempted", "failure"
    generic_type: str


def timeline(order: Order, events: list[StatusEvent]) -> tuple[list[Stage], list[TimelineEvent]]:
    """The generic stages as a stepper, each with its detailed events; plus unstaged events."""
    labels = (
        PICKUP_STAGE_LABELS if order.delivery_type == DeliveryType.LOCAL_PICKUP else STAGE_LABELS
    )
    by_stage: dict[str, list[TimelineEvent]] = {stage: [] for stage in STAGES}
    unstaged: list[TimelineEvent] = []
    locale = format_locale()
    for event in events:
        detailed = event.detailed_type or DetailedType.UNKNOWN
        item = TimelineEvent(
            label=str(DETAILED_LABELS.get(detailed, detailed)),
            at=format_datetime(event.status_date_time, locale),
            description=event.description,
            alert=(
                "failure"
                if detailed == DetailedType.FAILURE
                else "attempted"
                if detailed == DetailedType.ATTEMPTED_DELIVERY
                else ""
            ),
            generic_type=event.generic_type,
        )
        by_stage.get(event.generic_type, unstaged).append(item)
    current = order.latest_generic_type
    reached = STAGES.index(current) if current in STAGES else -1
    stages = [
        Stage(
            label=str(labels[stage]),
            state="current" if index == reached else "done" if index < reached else "todo",
            events=by_stage[stage],
        )
        for index, stage in enumerate(STAGES)
    ]
    return stages, unstaged


def timeline_version(order: Order) -> str:
    """Changes whenever the timeline can have changed (order_refresh saves updated_at)."""
    parts = [
        order.updated_at.isoformat() if order.updated_at else "",
        order.latest_status_at.isoformat() if order.latest_status_at else "",
        order.latest_generic_type,
        order.latest_detailed_type,
        order.cancellation_status,
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


STATUS_ICONS = {
    GenericType.CONFIRMED: "check-circle",
    GenericType.ON_ITS_WAY: "truck",
    GenericType.OUT_FOR_DELIVERY: "truck",
    GenericType.DELIVERED: "package-check",
}


def status_label(order: Order) -> str:
    """The latest status in words: the detailed type when known, else the stage."""
    if order.latest_detailed_type and order.latest_detailed_type != DetailedType.UNKNOWN:
        return str(DETAILED_LABELS[order.latest_detailed_type])
    labels = (
        PICKUP_STAGE_LABELS if order.delivery_type == DeliveryType.LOCAL_PICKUP else STAGE_LABELS
    )
    if order.latest_generic_type in labels:
        return str(labels[order.latest_generic_type])
    return str(_("No status yet"))


def status_icon(order: Order) -> str:
    if order.latest_detailed_type in ALERT_TYPES:
        return "alert"
    return STATUS_ICONS.get(order.latest_generic_type, "clock")


def status_tone(order: Order) -> str:
    if order.latest_detailed_type == DetailedType.FAILURE:
        return "danger"
    if order.latest_detailed_type == DetailedType.ATTEMPTED_DELIVERY:
        return "warning"
    if order.latest_generic_type == GenericType.DELIVERED:
        return "success"
    return "info"


# --- Shipments panel ------------------------------------------------------------------------

PARCEL_ICONS = {
    DetailedType.IN_TRANSIT: "truck",
    DetailedType.OUT_FOR_DELIVERY: "truck",
    DetailedType.DELIVERED: "package-check",
    DetailedType.PICKED_UP: "package-check",
    DetailedType.READY_FOR_PICKUP: "store",
    DetailedType.ATTEMPTED_DELIVERY: "alert",
    DetailedType.FAILURE: "alert",
}


@dataclass(frozen=True)
class ParcelLine:
    name: str
    quantity: int


@dataclass(frozen=True)
class Parcel:
    id: str
    carrier: str
    tracking_number: str
    track_url: str  # the stored link, else the carrier data set's, else ""
    service_level: str
    status_label: str
    icon: str
    tone: str
    alert: str  # "", "attempted", "failure": called out as on the timeline
    at_iso: str
    at_text: str
    description: str
    location: str
    shipped_iso: str
    shipped_text: str
    window_text: str  # the promised delivery window, "" when none was given
    lines: list[ParcelLine]
    events: list[TimelineEvent]  # the parcel's own history, newest first


def _when(moment) -> tuple[str, str]:
    """(exact value, text) in the console's one date style (format_datetime)."""
    formatted = format_datetime(moment)
    return (formatted.iso, formatted.text) if formatted else ("", "")


def delivery_window(start, end) -> str:
    """ "16 Sept 2021, 09:00 – 18:00" on one day, else both ends in full; "" without one."""
    if start is None and end is None:
        return ""
    if start is None or end is None:
        only = _when(start or end)[1]
        return (
            str(_("from %(start)s") % {"start": only})
            if start
            else str(_("by %(end)s") % {"end": only})
        )
    start, end = timezone.localtime(start), timezone.localtime(end)
    until = (
        _plain(babel_dates.format_time(end, "short", locale=format_locale()))
        if start.date() == end.date()
        else _when(end)[1]
    )
    return f"{_when(start)[1]} – {until}"


def _alert(detailed: str) -> str:
    if detailed == DetailedType.FAILURE:
        return "failure"
    if detailed == DetailedType.ATTEMPTED_DELIVERY:
        return "attempted"
    return ""


def _tone(detailed: str) -> str:
    if detailed == DetailedType.FAILURE:
        return "danger"
    if detailed == DetailedType.ATTEMPTED_DELIVERY:
        return "warning"
    if detailed in (DetailedType.DELIVERED, DetailedType.PICKED_UP):
        return "success"
    return "info"


def parcel(shipment: Shipment) -> Parcel:
    """A parcel as the Shipments panel shows it. Needs lines (with items) and events loaded."""
    detailed = shipment.latest_detailed_type
    at_iso, at_text = _when(shipment.latest_status_at)
    shipped_iso, shipped_text = _when(shipment.shipping_date)
    history = []
    for event in reversed(list(shipment.events.all())):
        history.append(
            TimelineEvent(
                label=str(DETAILED_LABELS.get(event.detailed_type, event.detailed_type)),
                at=format_datetime(event.status_date_time),
                description=" · ".join(p for p in (event.location, event.description) if p),
                alert=_alert(event.detailed_type),
                generic_type="",
            )
        )
    return Parcel(
        id=shipment.external_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        track_url=carriers.tracking_url(
            stored=shipment.tracking_url,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
        ),
        service_level=shipment.service_level,
        status_label=(
            str(DETAILED_LABELS[detailed]) if detailed else str(_("No tracking updates yet"))
        ),
        icon=PARCEL_ICONS.get(detailed, "clock"),
        tone=_tone(detailed),
        alert=_alert(detailed),
        at_iso=at_iso,
        at_text=at_text,
        description=shipment.latest_status_description,
        location=shipment.latest_status_location,
        shipped_iso=shipped_iso,
        shipped_text=shipped_text,
        window_text=delivery_window(shipment.delivery_date_start, shipment.delivery_date_end),
        lines=[
            ParcelLine(line.item.name or line.item.external_id, line.quantity)
            for line in shipment.lines.all()
        ],
        events=history,
    )


def not_shipped(items: list[OrderItem], shipments: list[Shipment]) -> list[ParcelLine]:
    """The items, or the part of their quantity, that no parcel holds yet."""
    shipped: dict[int, int] = {}
    for shipment in shipments:
        for line in shipment.lines.all():
            shipped[line.item_id] = shipped.get(line.item_id, 0) + line.quantity
    return [
        ParcelLine(item.name or item.external_id, item.quantity - shipped.get(item.pk, 0))
        for item in items
        if item.quantity > shipped.get(item.pk, 0)
    ]


# The model's labels stay English (the API and the timeline store them); agents read these.
CANCEL_REASON_LABELS = {
    CancelReason.CUSTOMER_REQUEST: _("Customer changed their mind"),
    CancelReason.ORDERED_BY_MISTAKE: _("Ordered by mistake"),
    CancelReason.DUPLICATE_ORDER: _("Duplicate order"),
    CancelReason.WRONG_ITEMS: _("Wrong items or size"),
    CancelReason.DELIVERY_TOO_LATE: _("Delivery date too late"),
    CancelReason.PAYMENT_ISSUE: _("Payment issue"),
    CancelReason.SUSPECTED_FRAUD: _("Suspected fraud"),
    CancelReason.OTHER: _("Other"),
}


def cancel_reason_label(reason: str) -> str:
    return str(CANCEL_REASON_LABELS.get(reason, reason))


def cancel_reason_choices() -> list[tuple[str, str]]:
    """The reasons to pick from, after an empty "choose" option, in the agent's language."""
    blank = ("", str(_("Choose a reason…")))
    return [blank, *((value, cancel_reason_label(value)) for value in CancelReason.values)]


QUERY_KIND_LABELS = {
    "email": _("Email address"),
    "phone": _("Phone number"),
    "order_number": _("Order number"),
    "reference": _("Customer id, order id, order number, tracking number or name"),
    "tracking_number": _("Tracking number"),
    "name": _("Customer name"),
}


def country_name(code: str, locale: str | None = None) -> str:
    """The country's ISO 3166 name in the agent's language: "Portugal", "Estados Unidos"."""
    return places.country_name(code, locale or format_locale())


def region_name(code: str, locale: str | None = None) -> str:
    """The subdivision's ISO 3166-2 name: "Lisboa" for PT-11, "Kentucky" for US-KY."""
    return places.region_name(code, locale or format_locale())


def place_line(address: Address, locale: str | None = None) -> str:
    """The last line of an address as an agent reads it out: "Lisboa, Portugal"."""
    names = (
        region_name(address.region_code, locale) if address.region_code else "",
        country_name(address.country_code, locale) if address.country_code else "",
    )
    return ", ".join(name for name in names if name)


def phone_display(e164: str) -> str:
    """+351910000000 -> +351 910 000 000, for reading aloud on a call."""
    return phones.display(e164)


def address_text(address: Address) -> str:
    lines = [
        f"{address.first_name} {address.last_name}".strip(),
        address.address,
        f"{address.zip_code} {address.city}".strip(),
        place_line(address),
    ]
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def custom_field_facts(fields: dict) -> list[Fact]:
    """A source's custom fields as label/value pairs: keys in code-point order, numbers in the
    agent's locale, true/false as words. The keys are the source's own, shown as given."""
    facts = []
    for key, value in sorted(fields.items()):
        if isinstance(value, bool):
            text = str(_("Yes") if value else _("No"))
        elif isinstance(value, int | float):
            text = format_decimal(value, locale=format_locale())
        else:
            text = str(value)
        facts.append(Fact(key, text))
    return facts


# The tokens sources send most (Shopify's financial_status among them), in the agent's language.
PAYMENT_STATUS_LABELS = {
    "PENDING": pgettext_lazy("payment status", "Pending"),
    "AUTHORIZED": pgettext_lazy("payment status", "Authorized"),
    "PARTIALLY_PAID": pgettext_lazy("payment status", "Partially paid"),
    "PAID": pgettext_lazy("payment status", "Paid"),
    "PARTIALLY_REFUNDED": pgettext_lazy("payment status", "Partially refunded"),
    "REFUNDED": pgettext_lazy("payment status", "Refunded"),
    "VOIDED": pgettext_lazy("payment status", "Voided"),
    "EXPIRED": pgettext_lazy("payment status", "Expired"),
}


def payment_status_label(value: str) -> str:
    """A source's payment status token in words: PARTIALLY_REFUNDED -> Partially refunded.
    Tokens nobody translated yet are shown in words as they came."""
    label = PAYMENT_STATUS_LABELS.get(value)
    return str(label) if label else value.replace("_", " ").capitalize()


def cancellation_facts(order: Order) -> list[Fact]:
    """What the canceller asked for besides the reason, as recorded (never acted on)."""
    facts = []
    if order.cancel_staff_note:
        facts.append(Fact(str(_("Staff note")), order.cancel_staff_note))
    for label, value in (
        (_("Restock requested"), order.cancel_restock),
        (_("Customer notification requested"), order.cancel_notify_customer),
    ):
        if value is not None:
            facts.append(Fact(str(label), str(_("Yes") if value else _("No"))))
    if order.cancel_refund_method:
        facts.append(Fact(str(_("Refund method requested")), order.cancel_refund_method))
    return facts


def country_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, name in the agent's language), by name."""
    locale = locale or format_locale()
    names = [(code, country_name(code, locale)) for code in places.countries()]
    # Accents do not move a name (Áustria sorts beside Austrália).
    return sorted(names, key=lambda choice: fold(choice[1]))


def region_choices(country: str, locale: str | None = None) -> list[tuple[str, str]]:
    """The country's ISO 3166-2 subdivisions as (code, "name (code)"), by name."""
    locale = locale or format_locale()
    names = [
        (code, f"{region_name(code, locale)} ({code})") for code in places.country_regions(country)
    ]
    return sorted(names, key=lambda choice: fold(choice[1]))


# The address rules speak to integrators (field names, ISO codes); agents pick from lists
# and read their own language. Same rules, the agent's words.
ADDRESS_PROBLEM_LABELS = {
    places.COUNTRY_DESCRIPTION: _("Choose a country from the list."),
    places.REGION_DESCRIPTION: _("Choose a region from the list."),
    places.REGION_COUNTRY_DESCRIPTION: _("Choose a region of the chosen country."),
    phones.PHONE_DESCRIPTION: _(
        "Enter a phone number of the chosen country, or one starting with + and its code."
    ),
    cards.PAN_DESCRIPTION: _(
        "This looks like a full payment card number: only the last four digits may be stored."
    ),
    "This field is required.": _("Required for a delivery."),
}


def address_problem(name: str, description: str, *, country: str) -> str:
    """A problem the address rules found, as the console says it to an agent."""
    if name == "zip_code" and country and description.startswith("Must be a postal code"):
        shape = addresses.postal_code_shape(country)
        example = shape[1] if shape else ""
        return str(
            _("Must be a postal code of %(country)s, such as %(example)s.")
            % {"country": country_name(country), "example": example}
            if example
            else _("Must be a postal code of %(country)s.") % {"country": country_name(country)}
        )
    return str(ADDRESS_PROBLEM_LABELS.get(description, description))
