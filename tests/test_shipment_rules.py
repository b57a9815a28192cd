from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from orders.rules import carriers, shipments

UPS = "1Z999AA10123456784"


@pytest.mark.parametrize(
    ("carrier", "number", "link"),
    [
        ("UPS", UPS, f"https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums={UPS}"),
        ("ups", "1z 999 aa1 01 2345 678 4", f"https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums={UPS}"),
        ("United States Postal Service", "9400111899223197428497",
         "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428497"),
        ("USPS", "9400111899223197428497",
         "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428497"),
        ("FedEx", "123456789012", "https://www.fedex.com/apps/fedextrack/?tracknumbers=123456789012"),
        ("DHL Express", "1234567891",
         "https://www.dhl.com/en/express/tracking.html?brand=DHL&AWB=1234567891"),
    ],
)  # fmt: skip
def test_the_carrier_data_set_builds_links_for_the_carriers_it_knows(carrier, number, link):
    assert carriers.tracking_link(carrier, number) == link


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("UPS", "1Z999AA10123456785"),  # check digit wrong
        ("DHL", UPS),  # another carrier's number
        ("CTT", "RR123456785PT"),  # a postal number: the data set has no page for it
        ("Yamato", "123456789012"),  # a carrier the data set does not know
        ("", UPS),  # no carrier named: never guessed from the number
        ("UPS", ""),
    ],
)
def test_no_link_is_a_guess(carrier, number):
    assert carriers.tracking_link(carrier, number) == ""


def test_a_stored_url_wins():
    url = carriers.tracking_url(
        stored="https://shop.example/t/1", carrier="UPS", tracking_number=UPS
    )

    assert url == "https://shop.example/t/1"


@pytest.mark.parametrize("number", [UPS, "rr123456785pt", "1Z 999 AA1 01 2345 678 4"])
def test_numbers_of_known_shapes_are_recognised(number):
    assert carriers.number_recognised(number)


@pytest.mark.parametrize("number", ["hello", "12345", "1Z999AA10123456785", ""])
def test_other_text_is_not_a_tracking_number(number):
    assert not carriers.number_recognised(number)


@pytest.mark.parametrize("number", [UPS, "RR123456785PT", "00340434161094042557", "AB-12"])
def test_tracking_numbers_of_every_shape_are_accepted(number):
    shipments.validate_tracking_number(number)


@pytest.mark.parametrize("number", ["", "1Z", "1Z<b>", "a" * 65, "-12345"])
def test_other_tracking_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        shipments.validate_tracking_number(number)


def test_a_tracking_key_ignores_case_and_spaces():
    assert shipments.tracking_key(" 1z 999 aa1 01 2345 678 4 ") == UPS


@pytest.mark.parametrize(
    "url", ["http://ups.com/t", "ftp://ups.com/t", "javascript:alert(1)", "//ups.com/t", "ups.com"]
)
def test_tracking_urls_are_https_only(url):
    with pytest.raises(ValidationError, match="https"):
        shipments.validate_tracking_url(url)


def test_a_card_number_in_a_tracking_url_is_refused_unless_it_is_the_parcels_number():
    url = "https://track.example/?n=4111111111111111"

    shipments.validate_tracking_url(url, "4111111111111111")
    with pytest.raises(ValidationError, match="card number"):
        shipments.validate_tracking_url(url, UPS)


def test_a_delivery_window_ends_after_it_starts():
    start, end = datetime(2021, 10, 25, tzinfo=UTC), datetime(2021, 10, 24, tzinfo=UTC)

    shipments.validate_delivery_window(end, start)
    shipments.validate_delivery_window(start, None)
    with pytest.raises(ValidationError):
        shipments.validate_delivery_window(start, end)


def test_over_shipped_sums_every_parcel():
    lines = [("a", 1), ("b", 1), ("a", 2)]

    assert shipments.over_shipped({"a": 2, "b": 1}, lines) == {"a": (3, 2)}
    assert shipments.over_shipped({"a": 3, "b": 1}, lines) == {}


@pytest.mark.parametrize(
    ("ordered", "shipped", "has_shipments", "status"),
    [
        ({"a": 2}, {}, False, "UNFULFILLED"),
        ({"a": 2}, {}, True, "UNFULFILLED"),
        ({"a": 2, "b": 1}, {"a": 2}, True, "PARTIALLY_FULFILLED"),
        ({"a": 2, "b": 1}, {"a": 2, "b": 1}, True, "FULFILLED"),
        ({}, {}, False, "UNFULFILLED"),
        ({}, {}, True, "FULFILLED"),
    ],
)
def test_fulfillment_status(ordered, shipped, has_shipments, status):
    assert shipments.fulfillment_status(ordered, shipped, has_shipments=has_shipments) == status


def parcel(shipping_date=None, latest_status_at=None):
    return SimpleNamespace(shipping_date=shipping_date, latest_status_at=latest_status_at)


def test_the_latest_shipment_is_the_one_that_left_last():
    early = parcel(datetime(2021, 10, 1, tzinfo=UTC), datetime(2021, 10, 9, tzinfo=UTC))
    late = parcel(datetime(2021, 10, 5, tzinfo=UTC))
    undated = parcel()

    assert shipments.latest_shipment([early, late, undated]) is late
    assert shipments.latest_shipment([undated, parcel()]) is not undated  # ties: the last
    assert shipments.latest_shipment([]) is None
