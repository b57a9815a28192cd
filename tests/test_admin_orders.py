from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from orders.models import Address, Customer, Order, OrderItem, StatusEvent

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

CHANGELIST = reverse("admin:orders_order_changelist")
ADD = reverse("admin:orders_order_add")
# Passes the Luhn check: a "real-looking" Visa test number.
CARD = "4111111111111111"


def change_url(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def listed(response) -> list[str]:
    return sorted(order.external_id for order in response.context["cl"].result_list)


def make_many_orders(count: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"c{n}", email=f"c{n}@example.com") for n in range(count)
    )
    Order.objects.bulk_create(
        Order(
            external_id=f"o{n}",
            order_number=f"#N{n}",
            customer=customer,
            brand=f"brand{n % 3}",
            purchase_datetime=start + timedelta(hours=n),
            delivery_type="SHIPPING",
            currency="EUR",
            final_total_amount=Decimal("9.99"),
            latest_generic_type="CONFIRMED",
        )
        for n, customer in enumerate(customers)
    )


# --- Changelist -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10, 120])
def test_order_changelist_costs_a_constant_number_of_queries(
    admin_client, django_assert_num_queries, count
):
    make_many_orders(count)

    # Session, user, result count for the paginator, the page of orders joined to their
    # customers, date hierarchy bounds and buckets, the brand filter's values.
    with django_assert_num_queries(7):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["cl"].result_list) == min(count, 100)


def test_order_changelist_shows_latest_status_and_customer_id(admin_client, make_order):
    make_order(
        events=[
            {
                "generic_type": "CONFIRMED",
                "detailed_type": "CONFIRMED",
                "status_date_time": datetime(2021, 9, 14, 13, 0, tzinfo=UTC),
            }
        ]
    )

    response = admin_client.get(CHANGELIST)

    assert b"CONFIRMED / CONFIRMED at 2021-09-14 13:00 UTC" in response.content
    assert b"customer123" in response.content
    assert b"10.5 EUR" in response.content


@pytest.mark.parametrize(
    "term",
    ["#ORDER123", "ORDER123", "order123", "customer123", "CUSTOMER123@example.com"],
)
def test_order_search_finds_by_number_id_customer_id_and_email(
    admin_client, make_order, make_customer, term
):
    make_order("order123")
    make_order("other", customer=make_customer("someone", phone_number="+351920000000"))

    response = admin_client.get(CHANGELIST, {"q": term})

    assert listed(response) == ["order123"]


@pytest.mark.parametrize(
    "term", ["+351910000000", "+351 910 000 000", "910 000 000", "910-000-000", "00351910000000"]
)
def test_order_search_finds_by_customer_phone_in_any_format(
    admin_client, make_order, make_customer, term
):
    make_order("order123")
    make_order("other", customer=make_customer("someone", phone_number="+351920000000"))

    response = admin_client.get(CHANGELIST, {"q": term})

    assert listed(response) == ["order123"]


def test_order_search_reads_national_phone_numbers_in_the_configured_region(
    admin_client, make_order, make_customer, settings
):
    settings.ERCDASH_DEFAULT_PHONE_REGION = "US"
    make_order("us-order", customer=make_customer("us", phone_number="+12025550123"))

    response = admin_client.get(CHANGELIST, {"q": "(202) 555-0123"})

    assert listed(response) == ["us-order"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"delivery_type__exact": "LOCAL_PICKUP"}, ["pickup"]),
        ({"latest_generic_type__exact": "DELIVERED"}, ["delivered"]),
        ({"cancellation": "canceled"}, ["canceled"]),
        ({"cancellation": "none"}, ["delivered", "pickup"]),
        ({"brand": "acme"}, ["pickup"]),
        ({"purchase_datetime__year": "2023"}, ["canceled"]),
    ],
)
def test_order_changelist_filters(admin_client, make_order, params, expected):
    make_order("pickup", delivery_type="LOCAL_PICKUP", brand="acme")
    make_order(
        "delivered",
        events=[
            {
                "generic_type": "DELIVERED",
                "status_date_time": datetime(2021, 9, 20, tzinfo=UTC),
            }
        ],
    )
    make_order(
        "canceled",
        cancellation_status="CANCELED",
        purchase_datetime=datetime(2023, 5, 1, tzinfo=UTC),
    )

    response = admin_client.get(CHANGELIST, params)

    assert response.status_code == HTTPStatus.OK
    assert listed(response) == expected


# --- Change form read-only values ------------------------------------------------------------


def test_order_change_page_shows_masked_card_and_balanced_price_arithmetic(
    admin_client, make_order
):
    order = make_order(
        original_total_amount=Decimal("100"),
        discounts_amount=Decimal("10"),
        shipping_amount=Decimal("5"),
        taxes_amount=Decimal("2.5"),
        final_total_amount=Decimal("97.5"),
    )

    response = admin_client.get(change_url(order))

    content = response.content.decode()
    assert "Visa **** **** **** 4567" in content
    assert "✔ 100 EUR − 10 EUR + 5 EUR + 2.5 EUR = 97.5 EUR" in content


def test_order_change_page_flags_a_price_mismatch(admin_client, make_order):
    order = make_order(original_total_amount=Decimal("100"), final_total_amount=Decimal("90"))

    response = admin_client.get(change_url(order))

    expected = (
        "⚠ Mismatch:</strong> 100 EUR − 0 EUR + 0 EUR + 0 EUR = 100 EUR"
        " but the final total is 90 EUR"
    )
    assert expected in response.content.decode()


def test_order_change_page_offers_only_the_customers_own_addresses(
    admin_client, make_order, make_customer
):
    order = make_order()
    stranger = make_customer("stranger")
    foreign = Address.objects.create(customer=stranger, address="Elsewhere 9", city="Porto")

    response = admin_client.get(change_url(order))

    choices = response.context["adminform"].form.fields["shipping_address"].queryset
    assert list(choices) == [order.shipping_address]
    assert foreign not in choices


# --- Saving with inlines -----------------------------------------------------------------


def order_data(customer: Customer, address: Address | None = None, **overrides) -> dict:
    """The POST of the order add form with one item and one status event."""
    data = {
        "external_id": "order9",
        "order_number": "#N9",
        "customer": customer.pk,
        "brand": "",
        "purchase_datetime_0": "2021-09-14",
        "purchase_datetime_1": "12:16:50",
        "delivery_type": "SHIPPING",
        "shipping_address": address.pk if address else "",
        "billing_address": address.pk if address else "",
        "items_number": "",
        "currency": "EUR",
        "original_total_amount": "21.00",
        "discounts_amount": "0",
        "shipping_amount": "0",
        "taxes_amount": "0",
        "final_total_amount": "21.00",
        "card_brand": "Visa",
        "card_brand_image_url": "",
        "card_number": "**** **** **** 4567",
        "is_refunded": "false",
        "highlighted_item_image_url": "",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-position": "0",
        "items-0-external_id": "item1",
        "items-0-name": "Mug",
        "items-0-sku": "MUG-1",
        "items-0-quantity": "2",
        "items-0-price": "10.50",
        "items-0-currency": "EUR",
        "items-0-image_url": "https://img.example.com/mug.png",
        "items-0-description": "A mug",
        "status_events-TOTAL_FORMS": "1",
        "status_events-INITIAL_FORMS": "0",
        "status_events-MIN_NUM_FORMS": "0",
        "status_events-MAX_NUM_FORMS": "1000",
        "status_events-0-status_date_time_0": "2021-09-14",
        "status_events-0-status_date_time_1": "13:00:00",
        "status_events-0-generic_type": "CONFIRMED",
        "status_events-0-detailed_type": "CONFIRMED",
        "status_events-0-description": "",
        "shipments-TOTAL_FORMS": "0",
        "shipments-INITIAL_FORMS": "0",
        "shipments-MIN_NUM_FORMS": "0",
        "shipments-MAX_NUM_FORMS": "1000",
    }
    return {**data, **overrides}


@pytest.fixture
def customer_with_address(make_customer) -> tuple[Customer, Address]:
    customer = make_customer()
    address = Address.objects.create(
        customer=customer, external_id="home", address="Rua Augusta 1", city="Lisbon"
    )
    return customer, address


def test_adding_an_order_with_inlines_saves_it_and_refreshes_derived_values(
    admin_client, customer_with_address
):
    customer, address = customer_with_address

    response = admin_client.post(ADD, order_data(customer, address))

    assert response.status_code == HTTPStatus.FOUND
    order = Order.objects.get(external_id="order9")
    assert order.card_last4 == "4567"
    assert order.shipping_address == address
    assert order.derived_items_quantity == 2
    assert order.derived_top_item_image_url == "https://img.example.com/mug.png"
    assert (order.latest_generic_type, order.latest_detailed_type) == ("CONFIRMED", "CONFIRMED")
    # The API serves the stored document: it carries the inline-derived values too.
    assert '"items_number":2' in order.document
    assert '"latest_status_info":{"generic_type":"CONFIRMED"' in order.document


def test_editing_an_orders_timeline_refreshes_its_latest_status(admin_client, make_order):
    order = make_order(
        events=[
            {
                "generic_type": "CONFIRMED",
                "detailed_type": "CONFIRMED",
                "status_date_time": datetime(2021, 9, 14, 13, 0, tzinfo=UTC),
            }
        ]
    )
    event = order.status_events.get()
    data = order_data(
        order.customer,
        order.shipping_address,
        original_total_amount="10.50",
        final_total_amount="10.50",
        **{
            "items-TOTAL_FORMS": "0",
            "status_events-TOTAL_FORMS": "2",
            "status_events-INITIAL_FORMS": "1",
            "status_events-0-id": str(event.pk),
            "status_events-0-order": str(order.pk),
            "status_events-1-status_date_time_0": "2021-09-15",
            "status_events-1-status_date_time_1": "09:00:00",
            "status_events-1-generic_type": "ON_ITS_WAY",
            "status_events-1-detailed_type": "IN_TRANSIT",
            "status_events-1-description": "Left the warehouse",
        },
    )

    response = admin_client.post(change_url(order), data)

    assert response.status_code == HTTPStatus.FOUND
    order.refresh_from_db()
    assert (order.latest_generic_type, order.latest_detailed_type) == ("ON_ITS_WAY", "IN_TRANSIT")
    assert order.latest_status_description == "Left the warehouse"


# --- Validation: field errors, status 200, never a 500 -------------------------------------


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


def inline_errors(response, prefix: str, field: str) -> list[str]:
    formset = next(
        fs for fs in response.context["inline_admin_formsets"] if fs.formset.prefix == prefix
    )
    return list(formset.formset.forms[0].errors.get(field, []))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("external_id", "bad id/with slash", "Must be 1-128 characters"),
        ("currency", "EURO", "ISO 4217"),
        ("original_total_amount", "-1", "Must not be negative."),
        ("final_total_amount", "21.001", "EUR allows at most 2 decimal places."),
        ("delivery_type", "TELEPORT", "Select a valid choice."),
        ("card_number", "12", "Must be the last four digits"),
    ],
)
def test_order_form_rejects_bad_values_as_field_errors(
    admin_client, customer_with_address, field, value, message
):
    customer, address = customer_with_address

    response = admin_client.post(ADD, order_data(customer, address, **{field: value}))

    assert response.status_code == HTTPStatus.OK
    assert any(message in error for error in field_errors(response, field))
    assert not Order.objects.exists()


def test_order_form_rejects_more_decimals_than_yen_has(admin_client, customer_with_address):
    customer, address = customer_with_address
    data = order_data(
        customer,
        address,
        currency="JPY",
        original_total_amount="1000.5",
        final_total_amount="1000",
        **{"items-0-currency": "JPY", "items-0-price": "1000"},
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == HTTPStatus.OK
    assert field_errors(response, "original_total_amount") == [
        "JPY allows at most 0 decimal places."
    ]


def test_order_form_rejects_an_address_of_another_customer(
    admin_client, customer_with_address, make_customer
):
    customer, _ = customer_with_address
    foreign = Address.objects.create(customer=make_customer("stranger"), address="Elsewhere 9")

    response = admin_client.post(ADD, order_data(customer, foreign))

    assert response.status_code == HTTPStatus.OK
    assert field_errors(response, "shipping_address")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("currency", "USD", "An order has one currency: items must be in EUR, not USD."),
        ("price", "-5", "Must not be negative."),
        ("price", "10.555", "EUR allows at most 2 decimal places."),
        ("quantity", "0", "Ensure this value is greater than or equal to 1."),
        ("quantity", "101", "Ensure this value is less than or equal to 100."),
        ("external_id", "item 1", "Must be 1-128 characters"),
    ],
)
def test_order_item_inline_rejects_bad_values_as_field_errors(
    admin_client, customer_with_address, field, value, message
):
    customer, address = customer_with_address

    response = admin_client.post(ADD, order_data(customer, address, **{f"items-0-{field}": value}))

    assert response.status_code == HTTPStatus.OK
    assert any(message in error for error in inline_errors(response, "items", field))
    assert not OrderItem.objects.exists()


def test_order_item_without_currency_takes_the_orders(admin_client, customer_with_address):
    customer, address = customer_with_address

    admin_client.post(ADD, order_data(customer, address, **{"items-0-currency": ""}))

    assert OrderItem.objects.get().currency == "EUR"


@pytest.mark.parametrize(
    ("field", "value"),
    [("generic_type", "IN_ORBIT"), ("detailed_type", "TELEPORTED")],
)
def test_status_event_inline_rejects_unknown_enum_values(
    admin_client, customer_with_address, field, value
):
    customer, address = customer_with_address

    response = admin_client.post(
        ADD, order_data(customer, address, **{f"status_events-0-{field}": value})
    )

    assert response.status_code == HTTPStatus.OK
    assert any(
        "Select a valid choice" in error
        for error in inline_errors(response, "status_events", field)
    )
    assert not StatusEvent.objects.exists()


# --- Full card numbers: rejected, never echoed, never stored --------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "card_number",
        "card_brand",
        "brand",
        "items-0-name",
        "items-0-description",
        "status_events-0-description",
    ],
)
@pytest.mark.parametrize("card", [CARD, "4111 1111 1111 1111", "4111-1111-1111-1111"])
def test_order_form_rejects_a_full_card_number_without_echoing_or_storing_it(
    admin_client, customer_with_address, key, card
):
    customer, address = customer_with_address

    response = admin_client.post(ADD, order_data(customer, address, **{key: f"paid with {card}"}))

    assert response.status_code == HTTPStatus.OK
    assert b"only the last four digits may be stored" in response.content
    assert CARD not in response.content.decode().replace(" ", "").replace("-", "")
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()


@pytest.mark.parametrize(
    "key",
    ["items-0-sku", "items-0-image_url", "card_brand_image_url", "highlighted_item_image_url"],
)
@pytest.mark.parametrize(
    "card",
    [
        "4111111111111111",
        "4111.1111.1111.1111",
        "4111/1111/1111/1111",
        "4111\u00a01111\u00a01111\u00a01111",
        "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11",
    ],
)
def test_a_card_number_hidden_in_a_sku_or_url_is_refused_not_stored(
    admin_client, customer_with_address, key, card
):
    customer, address = customer_with_address
    value = f"https://img.example.com/{card}.png" if "url" in key else f"SKU-{card}"

    response = admin_client.post(ADD, order_data(customer, address, **{key: value}))

    assert response.status_code == HTTPStatus.OK
    assert b"only the last four digits may be stored" in response.content
    assert "1111" not in response.content.decode().replace("\uff11", "1")
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()


def test_card_field_rejects_a_bare_full_card_number(admin_client, customer_with_address):
    customer, address = customer_with_address

    response = admin_client.post(ADD, order_data(customer, address, card_number=CARD))

    assert field_errors(response, "card_number") == [
        "Looks like a full payment card number; only the last four digits may be stored."
    ]
    assert CARD not in response.content.decode()


@pytest.mark.parametrize("masked", ["4567", "**** 4567", "XXXX-XXXX-XXXX-4567", "•••• 4567"])
def test_card_field_accepts_masked_forms(admin_client, customer_with_address, masked):
    customer, address = customer_with_address

    response = admin_client.post(ADD, order_data(customer, address, card_number=masked))

    assert response.status_code == HTTPStatus.FOUND
    assert Order.objects.get().card_last4 == "4567"


def test_editing_an_order_rejects_a_card_number_and_keeps_the_stored_values(
    admin_client, make_order
):
    order = make_order()
    data = order_data(
        order.customer,
        order.shipping_address,
        card_brand=f"Visa {CARD}",
        **{"items-TOTAL_FORMS": "0", "status_events-TOTAL_FORMS": "0"},
    )

    response = admin_client.post(change_url(order), data)

    assert response.status_code == HTTPStatus.OK
    assert CARD not in response.content.decode()
    order.refresh_from_db()
    assert order.card_brand == "Visa"
    assert not Order.objects.filter(card_brand__contains="4111").exists()


def test_order_page_shows_amounts_with_the_currencys_decimals(admin_client, make_order):
    order = make_order(
        currency="JPY",
        original_total_amount=Decimal("1000"),
        final_total_amount=Decimal("1000"),
        items=[{"price": Decimal("500")}],
    )

    response = admin_client.get(change_url(order))

    form = response.context["adminform"].form
    assert form["original_total_amount"].value() == Decimal("1000")
    assert 'name="original_total_amount" value="1000"' in response.content.decode()
    assert 'name="items-0-price" value="500"' in response.content.decode()
