from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from orders.models import Address, Customer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ADD = reverse("admin:orders_customer_add")
CHANGELIST = reverse("admin:orders_customer_changelist")
CARD = "4111111111111111"


def customer_data(**overrides) -> dict:
    data = {
        "external_id": "customer9",
        "first_name": "Ana",
        "last_name": "Silva",
        "email": "ana@example.com",
        "phone_number": "+351 912 345 678",
        "brand": "",
        "customer_since_0": "",
        "customer_since_1": "",
        "addresses-TOTAL_FORMS": "1",
        "addresses-INITIAL_FORMS": "0",
        "addresses-MIN_NUM_FORMS": "0",
        "addresses-MAX_NUM_FORMS": "1000",
        "addresses-0-external_id": "home",
        "addresses-0-is_default": "on",
        "addresses-0-first_name": "Ana",
        "addresses-0-last_name": "Silva",
        "addresses-0-phone_number": "912 345 678",
        "addresses-0-address": "Rua Augusta 1",
        "addresses-0-zip_code": "1100-048",
        "addresses-0-city": "Lisbon",
        "addresses-0-region_code": "pt-11",
        "addresses-0-country_code": "pt",
    }
    return {**data, **overrides}


def test_adding_a_customer_normalises_phones_and_codes(admin_client):
    response = admin_client.post(ADD, customer_data())

    assert response.status_code == HTTPStatus.FOUND
    customer = Customer.objects.get()
    address = Address.objects.get()
    assert customer.phone_number == "+351912345678"
    assert (address.phone_number, address.region_code, address.country_code) == (
        "+351912345678",
        "PT-11",
        "PT",
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("external_id", "customer 9", "Must be 1-128 characters"),
        ("phone_number", "12", "Must be a phone number"),
        ("email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_customer_form_rejects_bad_values_as_field_errors(admin_client, key, value, message):
    response = admin_client.post(ADD, customer_data(**{key: value}))

    assert response.status_code == HTTPStatus.OK
    errors = response.context["adminform"].form.errors[key]
    assert any(message in error for error in errors)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("region_code", "P-11", "ISO 3166-2"),
        ("region_code", "ES-MD", "Must be a region of country_code."),
        ("country_code", "Portugal", "Ensure this value has at most 2 characters"),
    ],
)
def test_address_inline_rejects_bad_codes_as_field_errors(admin_client, key, value, message):
    response = admin_client.post(ADD, customer_data(**{f"addresses-0-{key}": value}))

    assert response.status_code == HTTPStatus.OK
    formset = response.context["inline_admin_formsets"][0].formset
    assert any(message in error for error in formset.forms[0].errors[key])


@pytest.mark.parametrize(
    "key",
    [
        "first_name",
        "last_name",
        "email",
        "addresses-0-first_name",
        "addresses-0-address",
        "addresses-0-city",
    ],
)
def test_customer_form_rejects_card_numbers_in_free_text_without_echoing_them(admin_client, key):
    response = admin_client.post(ADD, customer_data(**{key: f"x {CARD[:8]} {CARD[8:]}"}))

    assert response.status_code == HTTPStatus.OK
    assert b"only the last four digits may be stored" in response.content
    assert CARD[:8] not in response.content.decode()
    assert not Customer.objects.exists()
    assert not Address.objects.exists()


@pytest.mark.parametrize(
    "phone", [CARD, "4111 1111 1111 1111", "4111.1111.1111.1111", "call me maybe"]
)
def test_a_card_number_typed_as_an_address_phone_is_refused_not_stored(admin_client, phone):
    response = admin_client.post(ADD, customer_data(**{"addresses-0-phone_number": phone}))

    assert response.status_code == HTTPStatus.OK
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["phone_number"]
    assert "4111" not in response.content.decode()
    assert not Address.objects.exists()


def test_an_address_phone_is_read_in_the_addresses_own_country(admin_client):
    data = customer_data(
        **{
            "addresses-0-phone_number": "030 1234567",
            "addresses-0-zip_code": "10115",  # a German postal code: the rules check its shape
            "addresses-0-region_code": "DE-BE",
            "addresses-0-country_code": "DE",
        }
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == HTTPStatus.FOUND
    assert Address.objects.get().phone_number == "+49301234567"


@pytest.mark.parametrize("key", ["external_id", "addresses-0-zip_code"])
def test_ids_and_zip_codes_may_hold_long_digit_runs(admin_client, key):
    # Card detection covers free text, not ids, order numbers, phones or zip codes. The
    # address is in a country without postal-code data, so no shape rule applies either.
    response = admin_client.post(
        ADD,
        customer_data(
            **{
                "addresses-0-zip_code": "",
                key: CARD,
                "addresses-0-phone_number": "+351 912 345 678",
                "addresses-0-region_code": "AE-DU",
                "addresses-0-country_code": "AE",
            }
        ),
    )

    assert response.status_code == HTTPStatus.FOUND


@pytest.mark.parametrize("term", ["+351 910 000 000", "910000000", "customer123", "Doe"])
def test_customer_search_by_phone_id_and_name(admin_client, make_customer, term):
    make_customer()
    make_customer("other", last_name="Other", phone_number="+351920000000")

    response = admin_client.get(CHANGELIST, {"q": term})

    assert [c.external_id for c in response.context["cl"].result_list] == ["customer123"]


def test_existing_customer_id_is_read_only(admin_client, make_customer):
    customer = make_customer()
    url = reverse("admin:orders_customer_change", args=[customer.pk])

    admin_client.post(url, customer_data(external_id="renamed", **{"addresses-TOTAL_FORMS": "0"}))

    customer.refresh_from_db()
    assert customer.external_id == "customer123"
    assert customer.first_name == "Ana"


def test_deleting_an_address_in_admin_drops_it_from_the_orders_api_document(
    admin_client, make_order
):
    order = make_order()
    address = order.shipping_address

    admin_client.post(reverse("admin:orders_address_delete", args=[address.pk]), {"post": "yes"})

    order.refresh_from_db()
    assert order.shipping_address is None
    assert "Rua Augusta" not in order.document


def test_deleting_an_address_inline_drops_it_from_the_orders_api_document(admin_client, make_order):
    order = make_order()
    customer, address = order.customer, order.shipping_address
    data = customer_data(
        external_id=customer.external_id,
        **{
            "addresses-INITIAL_FORMS": "1",
            "addresses-0-id": str(address.pk),
            "addresses-0-customer": str(customer.pk),
            "addresses-0-DELETE": "on",
        },
    )

    response = admin_client.post(reverse("admin:orders_customer_change", args=[customer.pk]), data)

    assert response.status_code == HTTPStatus.FOUND
    order.refresh_from_db()
    assert not Address.objects.filter(pk=address.pk).exists()
    assert "Rua Augusta" not in order.document
