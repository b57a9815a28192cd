"""One rule, one refusal: the same bad value gets the same answer at every entry point.

Each rule lives in orders/rules/. These tests feed one bad value to the admin forms, the
import and (where it takes that value) the API, and expect the rule's own message each time,
with nothing saved.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from babel.numbers import get_currency_precision
from django.core.exceptions import ValidationError

from orders import services
from orders.models import Customer, Order
from orders.rules import cards, ids, money, phones, places, times
from tests.test_admin_customers import ADD as CUSTOMER_ADD
from tests.test_admin_customers import customer_data
from tests.test_admin_orders import ADD as ORDER_ADD
from tests.test_admin_orders import order_data
from tests.test_import_orders import document

# --- the entry points -------------------------------------------------------------------------


def import_errors(**changes) -> list[tuple[str, str]]:
    """(field, description) of each problem import_orders reports for a changed document."""
    result = services.orders_import(documents=[document(**changes)])
    assert result.rejected == 1
    return [(error.field, error.description) for error in result.errors]


def customer_form_errors(admin_client, field: str, **overrides) -> list[str]:
    response = admin_client.post(CUSTOMER_ADD, customer_data(**overrides))
    assert response.status_code == HTTPStatus.OK
    return list(response.context["adminform"].form.errors.get(field, []))


def address_inline_errors(admin_client, field: str, **overrides) -> list[str]:
    data = customer_data(**{f"addresses-0-{name}": value for name, value in overrides.items()})
    response = admin_client.post(CUSTOMER_ADD, data)
    assert response.status_code == HTTPStatus.OK
    formset = response.context["inline_admin_formsets"][0].formset
    return list(formset.forms[0].errors.get(field, []))


def order_form_errors(admin_client, make_customer, field: str, **overrides) -> list[str]:
    response = admin_client.post(ORDER_ADD, order_data(make_customer(), **overrides))
    assert response.status_code == HTTPStatus.OK
    return list(response.context["adminform"].form.errors.get(field, []))


@pytest.fixture
def nothing_saved(db):
    yield
    assert not Order.objects.exists()
    assert not Customer.objects.exclude(external_id="customer123").exists()


# --- ids ---------------------------------------------------------------------------------------


def test_a_bad_id_is_refused_alike_by_admin_import_and_api(
    admin_client, client, read_auth, nothing_saved
):
    bad = "order 123"

    assert customer_form_errors(admin_client, "external_id", external_id=bad) == [
        ids.ID_DESCRIPTION
    ]
    assert import_errors(id=bad) == [("id", ids.ID_DESCRIPTION)]
    response = client.get(f"/erc/ecommerce/customers/customer123/orders/{bad}", **read_auth)
    assert response.json()["fields"] == [{"name": "order_id", "description": ids.ID_DESCRIPTION}]


# --- currencies and amounts --------------------------------------------------------------------


def test_an_unknown_currency_is_refused_alike_by_admin_and_import(
    admin_client, make_customer, nothing_saved
):
    # ABC has the shape of an ISO 4217 code but is none: the admin once saved it, and export
    # then wrote a document that import refused.
    assert order_form_errors(admin_client, make_customer, "currency", currency="ABC") == [
        money.CURRENCY_DESCRIPTION
    ]
    assert (
        "price_summary.original_total_amount.currency",
        money.CURRENCY_DESCRIPTION,
    ) in import_errors(price_summary__original_total_amount={"value": 1, "currency": "ABC"})


def test_yen_with_decimals_is_refused_alike_by_admin_and_import(
    admin_client, make_customer, nothing_saved
):
    message = "JPY allows at most 0 decimal places."
    admin = order_form_errors(
        admin_client,
        make_customer,
        "original_total_amount",
        currency="JPY",
        original_total_amount="10.5",
        **{"items-TOTAL_FORMS": "0"},
    )
    assert admin == [message]
    problems = import_errors(
        price_summary={
            "original_total_amount": {"value": 10.5, "currency": "JPY"},
            "final_total_amount": {"value": 10, "currency": "JPY"},
        },
        items=[],
    )
    assert problems == [("price_summary.original_total_amount.value", message)]


def test_minor_units_agree_with_babel():
    for currency in money.CURRENCIES:
        assert money.currency_exponent(currency) == get_currency_precision(currency), currency


# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["12", "not a phone", "+351 12"])
def test_a_bad_phone_is_refused_alike_by_admin_and_import(admin_client, bad, nothing_saved):
    message = phones.PHONE_DESCRIPTION

    assert customer_form_errors(admin_client, "phone_number", phone_number=bad) == [message]
    assert address_inline_errors(admin_client, "phone_number", phone_number=bad) == [message]
    assert import_errors(customer__phone_number=bad) == [("customer.phone_number", message)]
    assert import_errors(shipping_address__phone_number=bad) == [
        ("shipping_address.phone_number", message)
    ]


def test_a_national_address_phone_is_read_in_the_addresses_country(admin_client):
    response = admin_client.post(
        CUSTOMER_ADD,
        customer_data(
            **{
                "addresses-0-phone_number": "(202) 555-0123",
                "addresses-0-zip_code": "20500",  # a US postal code: the rules check its shape
                "addresses-0-country_code": "US",
                "addresses-0-region_code": "US-DC",
            }
        ),
    )

    assert response.status_code == HTTPStatus.FOUND
    assert Customer.objects.get().addresses.get().phone_number == "+12025550123"


# --- places -------------------------------------------------------------------------------------


def test_a_region_of_another_country_is_refused_alike_by_admin_and_import(
    admin_client, nothing_saved
):
    message = places.REGION_COUNTRY_DESCRIPTION

    assert address_inline_errors(admin_client, "region_code", region_code="ES-MD") == [message]
    assert import_errors(shipping_address__region_code="ES-MD") == [
        ("shipping_address.region_code", message)
    ]


def test_an_unknown_country_is_refused_alike_by_admin_and_import(admin_client, nothing_saved):
    message = places.COUNTRY_DESCRIPTION

    assert address_inline_errors(
        admin_client, "country_code", country_code="XX", region_code=""
    ) == [message]
    assert import_errors(shipping_address__country_code="XX", shipping_address__region_code=None)[
        0
    ] == ("shipping_address.country_code", message)


def test_a_well_formed_but_unknown_region_is_refused_alike_by_admin_and_import(
    admin_client, nothing_saved
):
    message = places.REGION_DESCRIPTION

    assert address_inline_errors(admin_client, "region_code", region_code="PT-99") == [message]
    assert import_errors(shipping_address__region_code="PT-99") == [
        ("shipping_address.region_code", message)
    ]


@pytest.mark.parametrize(
    ("code", "locale", "name"),
    [
        ("PT", "en", "Portugal"),
        ("US", "en_US", "United States"),
        ("US", "pt_PT", "Estados Unidos"),
        ("GB", "pt_BR", "Reino Unido"),
        ("KR", "en_GB", "South Korea"),  # the common name, not "Korea, Republic of"
        ("IR", "pt_PT", "Irão"),  # Portugal's spelling, not Brazil's "Irã"
        ("ZZ", "en", "ZZ"),
        ("", "en", ""),
    ],
)
def test_country_names_come_from_iso_3166_in_the_agents_language(code, locale, name):
    assert places.country_name(code, locale) == name


@pytest.mark.parametrize(
    ("code", "locale", "name"),
    [
        ("PT-11", "en_GB", "Lisboa"),
        ("PT-11", "pt_PT", "Lisboa"),
        ("US-KY", "en_US", "Kentucky"),
        ("US-KY", "pt_BR", "Kentucky"),
        ("DE-BY", "en_GB", "Bavaria"),  # iso-codes' English name
        ("DE-BY", "pt_PT", "Bayern"),  # no Portuguese names yet: the ISO 3166-2 one
        ("PT-99", "en", "PT-99"),
    ],
)
def test_region_names_are_iso_3166_2_names_in_the_agents_language(code, locale, name):
    assert places.region_name(code, locale) == name


def test_every_country_and_region_that_passes_validation_has_a_name():
    unnamed_countries = [code for code in places.countries() if places.country_name(code) == code]
    unnamed_regions = [code for code in places.regions() if places.region_name(code) == code]

    assert (unnamed_countries, unnamed_regions) == ([], [])


# --- card numbers --------------------------------------------------------------------------------


CARD_SHAPES = [
    "4111111111111111",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4111.1111.1111.1111",
    "4111/1111/1111/1111",
    "4111\u00a01111\u00a01111\u00a01111",  # non-breaking spaces
    "4111  1111  1111  1111",
    "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11",
    "card 4111 1111 1111 1111 exp 2029",
]


@pytest.mark.parametrize("text", CARD_SHAPES)
def test_every_card_shape_is_found_and_redacted(text):
    assert cards.contains_full_card_number(text)
    assert "1111" not in cards.redact(text).replace("\uff11", "1")


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # fails Luhn
        "+351 912 345 678",
        "order 1234567890123456789012345",  # one long number is not a card
        "Rua Augusta 24, 1100-053 Lisboa",
    ],
)
def test_ordinary_numbers_are_not_cards(text):
    assert not cards.contains_full_card_number(text)


@pytest.mark.parametrize("text", ["4111.1111.1111.1111", "4111\u00a01111 1111 1111"])
def test_a_card_number_is_refused_alike_by_admin_and_import(
    admin_client, make_customer, text, nothing_saved
):
    assert order_form_errors(admin_client, make_customer, "brand", brand=text) == [
        cards.PAN_DESCRIPTION
    ]
    assert customer_form_errors(admin_client, "first_name", first_name=text) == [
        cards.PAN_DESCRIPTION
    ]
    assert import_errors(items__0__name=text) == [("items.0.name", cards.PAN_DESCRIPTION)]


def test_a_masked_card_keeps_only_its_last_four_digits():
    assert cards.card_last4("**** **** **** 4567") == "4567"
    assert cards.masked("4567") == "**** **** **** 4567"
    with pytest.raises(ValidationError):
        cards.card_last4("4111 1111 1111 1111")


# --- times --------------------------------------------------------------------------------------


def test_timestamps_are_truncated_to_milliseconds_in_utc():
    moment = times.parse_rfc3339("2021-09-14T13:16:50.078999+01:00")

    assert times.rfc3339(moment) == "2021-09-14T12:16:50.078Z"


@pytest.mark.parametrize("bad", ["2021-09-14", "2021-09-14T25:00:00Z", "2021-09-14T12:00:00+24:00"])
def test_malformed_timestamps_are_refused(bad):
    with pytest.raises(ValueError, match="RFC 3339"):
        times.parse_rfc3339(bad)
