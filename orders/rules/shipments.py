"""Shipments: tracking numbers, tracking URLs, delivery windows and shipped quantities.

The database holds what it can (https-only URLs, an ordered window, 1-100 per line); these
rules add what it cannot: items of this very order, and never more shipped than ordered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from orders.rules import cards

# Carriers print numbers in groups ("1Z 999 AA1 01 2345 678 4"); the number has no spaces.
TRACKING_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,63}$")
TRACKING_NUMBER_DESCRIPTION = "Must be 3-64 letters, digits or dashes (spaces are ignored)."
TRACKING_URL_DESCRIPTION = "Must be an absolute https URL."
WINDOW_DESCRIPTION = "Must not be before delivery_date_start."
_https = URLValidator(schemes=["https"])

FULFILLED = "FULFILLED"
PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
UNFULFILLED = "UNFULFILLED"


def normalize_tracking_number(value: str) -> str:
    """The number without the spaces it is printed with: what is stored and looked up."""
    return "".join((value or "").split())


def tracking_key(value: str) -> str:
    """The form lookups compare: no spaces, upper case (the index is on UPPER(number))."""
    return normalize_tracking_number(value).upper()


def validate_tracking_number(value: str) -> None:
    if not TRACKING_NUMBER_RE.match(normalize_tracking_number(value)):
        raise ValidationError(TRACKING_NUMBER_DESCRIPTION, code="invalid_tracking_number")


def validate_tracking_url(url: str, tracking_number: str = "") -> None:
    """An absolute https URL holding no card number.

    Carrier links carry the parcel's own number, which may be 15-22 digits: that number is
    taken out before the card check, anything else card-like is refused.
    """
    try:
        _https(url)
    except ValidationError:
        raise ValidationError(TRACKING_URL_DESCRIPTION, code="invalid_tracking_url") from None
    if cards.contains_full_card_number_besides(url, normalize_tracking_number(tracking_number)):
        raise ValidationError(cards.PAN_DESCRIPTION, code="card_number")


def validate_delivery_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError(WINDOW_DESCRIPTION, code="window_reversed")


def over_shipped(
    ordered: Mapping[str, int], shipped: Iterable[tuple[str, int]]
) -> dict[str, tuple[int, int]]:
    """{item id: (shipped, ordered)} for each item shipped more often than it was ordered.

    `shipped` lists (item id, quantity) for every line of every shipment of the order.
    """
    totals: dict[str, int] = {}
    for item_id, quantity in shipped:
        totals[item_id] = totals.get(item_id, 0) + quantity
    return {
        item_id: (total, ordered[item_id])
        for item_id, total in totals.items()
        if item_id in ordered and total > ordered[item_id]
    }


def over_shipped_description(shipped: int, ordered: int) -> str:
    return f"Shipped quantity ({shipped}) is more than the ordered quantity ({ordered})."


def fulfillment_status(
    ordered: Mapping[str, int], shipped: Mapping[str, int], *, has_shipments: bool
) -> str:
    """UNFULFILLED, PARTIALLY_FULFILLED or FULFILLED, from shipped vs ordered quantities.

    An order without item details is FULFILLED once it has a parcel: nothing else is known.
    """
    if not ordered:
        return FULFILLED if has_shipments else UNFULFILLED
    sent = {item: min(shipped.get(item, 0), quantity) for item, quantity in ordered.items()}
    if sum(sent.values()) == 0:
        return UNFULFILLED
    if all(sent[item] >= quantity for item, quantity in ordered.items()):
        return FULFILLED
    return PARTIALLY_FULFILLED


def latest_shipment(shipments: Sequence[Any]) -> Any | None:
    """The parcel that left last: by shipping date, else by its latest event; then by its
    place in the order. A parcel with neither date counts as the oldest.

    Split shipments: parcel 1 delivered yesterday, parcel 2 sent today and in transit: the
    order's delivery status is parcel 2's IN_TRANSIT, not parcel 1's DELIVERED.
    """

    def key(indexed: tuple[int, Any]) -> tuple[bool, datetime | None, int]:
        index, shipment = indexed
        moment = shipment.shipping_date or shipment.latest_status_at
        return (moment is not None, moment, index)

    if not shipments:
        return None
    return max(enumerate(shipments), key=key)[1]
