"""Carrier tracking links, from the tracking_number_data set (the tracking-numbers package).

A link is built only when the shipment names the carrier and the number passes that
carrier's own format and check digit in the data set: an unknown carrier, or a number that
does not fit the carrier, gets no link. Never a guess.
"""

from __future__ import annotations

from functools import cache

import tracking_numbers
from tracking_numbers.definition import TrackingNumberDefinition

from orders.rules.shipments import normalize_tracking_number
from orders.rules.text import fold


def _names(definition: TrackingNumberDefinition) -> set[str]:
    # How a source may name the carrier: its code ("ups"), its name ("United States Postal
    # Service") or one of its products ("FedEx Ground", "DHL Express").
    return {
        fold(definition.courier.code),
        fold(definition.courier.name),
        fold(definition.product.name),
    }


@cache
def _definitions(carrier: str) -> tuple[TrackingNumberDefinition, ...]:
    """The data set's definitions of the carrier with this (folded) name."""
    codes = {
        definition.courier.code
        for definition in tracking_numbers.DEFINITIONS
        if carrier in _names(definition)
    }
    return tuple(
        definition
        for definition in tracking_numbers.DEFINITIONS
        if definition.courier.code in codes
    )


def tracking_link(carrier: str, tracking_number: str) -> str:
    """The carrier's tracking page for this parcel, or "" when the data set cannot say."""
    number = normalize_tracking_number(tracking_number)
    name = fold(carrier)
    if not number or not name:
        return ""
    for definition in _definitions(name):
        match = _test(definition, number)
        if match is not None and match.tracking_url:
            # The data set still lists a few http pages (DHL, OnTrac); those sites serve the
            # same page over https, and links in ercdash are https only.
            url = match.tracking_url
            return "https://" + url.removeprefix("http://") if url.startswith("http://") else url
    return ""


def _test(definition: TrackingNumberDefinition, number: str):
    """The data set's valid match for the number as typed or upper-cased ("1z…" is "1Z…")."""
    for candidate in dict.fromkeys((number, number.upper())):
        match = definition.test(candidate)
        if match is not None and match.valid:
            return match
    return None


def tracking_url(*, stored: str, carrier: str, tracking_number: str) -> str:
    """The stored URL, else the one the carrier data set builds, else ""."""
    return stored or tracking_link(carrier, tracking_number)


def number_recognised(tracking_number: str) -> bool:
    """Whether the number passes some carrier's format and check digit (console search)."""
    number = normalize_tracking_number(tracking_number)
    return bool(number) and any(
        _test(definition, number) is not None for definition in tracking_numbers.DEFINITIONS
    )
