from __future__ import annotations

import itertools

import pytest

from orders.models import Order
from orders.rules import actions, addresses

STAGES = ["", "UNKNOWN", "CONFIRMED", "ON_ITS_WAY", "OUT_FOR_DELIVERY", "DELIVERED"]
DELIVERY_TYPES = ["", "UNKNOWN", "LOCAL_DELIVERY", "LOCAL_PICKUP", "SHIPPING"]
FULFILLMENT = ["UNFULFILLED", "PARTIALLY_FULFILLED", "FULFILLED"]
CANCELLATION = ["", "UNKNOWN", "CANCELED"]


@pytest.mark.parametrize(
    ("stage", "delivery_type", "fulfillment", "cancellation"),
    list(itertools.product(STAGES, DELIVERY_TYPES, FULFILLMENT, CANCELLATION)),
)
def test_the_state_rule_matrix(stage, delivery_type, fulfillment, cancellation):
    order = Order(
        latest_generic_type=stage,
        delivery_type=delivery_type,
        fulfillment_status=fulfillment,
        cancellation_status=cancellation,
    )
    expected = (
        stage in ("", "UNKNOWN", "CONFIRMED")
        and delivery_type != "LOCAL_PICKUP"
        and fulfillment == "UNFULFILLED"
        and cancellation == ""
    )

    assert actions.can_change_shipping_address(order) is expected
    assert order.is_change_shipping_address_allowed is expected


@pytest.mark.django_db
def test_the_flag_and_the_conditional_write_use_one_state(make_order):
    make_order("ok")
    make_order("pickup", delivery_type="LOCAL_PICKUP")
    make_order("canceled", cancellation_status="CANCELED")

    matched = Order.objects.filter(**actions.state_filter(actions.SHIPPING_ADDRESS_CHANGEABLE))

    assert [order.external_id for order in matched] == ["ok"]
    assert [o.external_id for o in Order.objects.all() if o.is_change_shipping_address_allowed] == [
        "ok"
    ]


@pytest.mark.parametrize(
    ("region", "country", "ok"),
    [("PT-11", "PT", True), ("US-KY", "US", True), ("US-KY", "PT", False), ("PT-11", "ES", False)],
)
def test_a_region_must_belong_to_its_country(region, country, ok):
    _, problems = addresses.check({"region_code": region, "country_code": country})

    assert (problems == []) is ok


@pytest.mark.parametrize(
    ("country", "zip_code", "stored"),
    [
        ("PT", "1100-048", "1100-048"),
        ("US", "40202", "40202"),
        ("US", "40202-1234", "40202-1234"),
        ("GB", "sw1a  1aa", "SW1A 1AA"),
        ("JP", "100-0005", "100-0005"),
        # Typed without the separator: the country's is put in.
        ("PT", "1100048", "1100-048"),
        ("PL", "00950", "00-950"),
        ("AE", "anything 12", "anything 12"),  # no postal codes in Google's data
    ],
)
def test_postal_codes_take_their_countrys_shape(country, zip_code, stored):
    cleaned, problems = addresses.check({"zip_code": zip_code, "country_code": country})

    assert (cleaned["zip_code"], problems) == (stored, [])


@pytest.mark.parametrize(
    ("country", "zip_code"), [("PT", "1100"), ("US", "4020"), ("DE", "1011"), ("PT", "LX-1100")]
)
def test_a_postal_code_of_another_shape_is_refused(country, zip_code):
    _, problems = addresses.check({"zip_code": zip_code, "country_code": country})

    assert [name for name, _ in problems] == ["zip_code"]
    assert zip_code not in problems[0][1]


@pytest.mark.parametrize(
    ("phone", "country", "e164"),
    [
        ("912 345 678", "PT", "+351912345678"),
        ("(502) 555-0100", "US", "+15025550100"),
        ("+44 20 7946 0018", "PT", "+442079460018"),
    ],
)
def test_phones_are_read_in_the_addresss_country(phone, country, e164):
    cleaned, problems = addresses.check({"phone_number": phone, "country_code": country})

    assert (cleaned["phone_number"], problems) == (e164, [])


def test_a_national_phone_without_a_country_needs_the_fallback_region():
    assert addresses.check({"phone_number": "912 345 678"})[1] == [
        ("phone_number", "Must be a phone number in international form such as +351910000000.")
    ]
    cleaned, problems = addresses.check({"phone_number": "912 345 678"}, fallback_phone_region="PT")
    assert (cleaned["phone_number"], problems) == ("+351912345678", [])


@pytest.mark.parametrize("field", addresses.FREE_TEXT_FIELDS)
def test_a_card_number_in_free_text_is_refused_without_repeating_it(field):
    _, problems = addresses.check({field: "pay with 4111-1111-1111-1111"})

    assert problems == [
        (field, "Looks like a full payment card number; only the last four digits may be stored.")
    ]


@pytest.mark.django_db
def test_agents_and_supervisors_may_change_shipping_addresses(agent_user, supervisor_user):
    assert agent_user.has_perm("orders.change_shipping_address")
    assert supervisor_user.has_perm("orders.change_shipping_address")
