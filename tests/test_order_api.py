from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection

from orders import services
from orders.models import Order
from tests.conftest import WRITE

URL = "/erc/ecommerce/customers/customer123/orders/order123"


@pytest.fixture
def seed_order(make_order):
    return make_order(
        order_number="#Y34DHR",
        card_brand_image_url="https://external-integration.url.com/payment_card_brand_icon.svg",
        highlighted_item_image_url="https://external-integration.url.com/item.jpg",
        items_number=3,
        events=[
            {
                "generic_type": "CONFIRMED",
                "detailed_type": "CONFIRMED",
                "status_date_time": datetime(2021, 9, 14, 12, 20, tzinfo=UTC),
            },
            {
                "generic_type": "ON_ITS_WAY",
                "detailed_type": "IN_TRANSIT",
                "status_date_time": datetime(2021, 10, 23, 12, 16, 50, 78000, tzinfo=UTC),
            },
        ],
    )


def test_it_serves_the_seed_example(client, read_auth, seed_order):
    address = {
        "id": "address-order123",
        "first_name": "John",
        "last_name": "Doe",
        "phone_number": "+351910000000",
        "address": "Rua Augusta 1",
        "zip_code": "1100-048",
        "city": "Lisbon",
        "region_code": "PT-11",
        "country_code": "PT",
        "default": True,
    }
    eur = {"value": 10.5, "currency": "EUR"}
    zero = {"value": 0, "currency": "EUR"}

    response = client.get(URL, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "id": "order123",
        "order_number": "#Y34DHR",
        "customer_id": "customer123",
        "purchase_datetime": "2021-09-14T12:16:50.078Z",
        "delivery_type": "SHIPPING",
        "shipping_address": address,
        "billing_address": address,
        "items_number": 3,
        "price_summary": {
            "original_total_amount": eur,
            "discounts_amount": zero,
            "shipping_amount": zero,
            "taxes_amount": zero,
            "final_total_amount": eur,
        },
        "payment_details": {
            "card_brand": "Visa",
            "card_brand_image_url": "https://external-integration.url.com/payment_card_brand_icon.svg",
            "card_number": "**** **** **** 4567",
            "is_refunded": False,
        },
        "order_extra_info": {
            "highlighted_item_image_url": "https://external-integration.url.com/item.jpg",
            "latest_status_info": {
                "generic_type": "ON_ITS_WAY",
                "detailed_type": "IN_TRANSIT",
                "status_date_time": "2021-10-23T12:16:50.078Z",
            },
        },
        "is_cancellable": False,
        "is_change_shipping_address_allowed": False,
        "is_refundable": False,
        "is_returnable": False,
        "fulfillment_status": "UNFULFILLED",
        "_links": {"self": {"href": "http://testserver" + URL}},
    }


def test_money_is_written_as_exact_json_numbers(client, read_auth, make_order):
    make_order(
        currency="KWD", original_total_amount=Decimal("1234.125"), final_total_amount=Decimal("0.1")
    )
    make_order(
        "order-jpy", currency="JPY", original_total_amount=Decimal("1000"),
        final_total_amount=Decimal("1000.000"),
    )  # fmt: skip

    kwd = client.get(URL, **read_auth).content
    jpy = client.get(URL.replace("order123", "order-jpy"), **read_auth).content

    assert b'"original_total_amount":{"value":1234.125,"currency":"KWD"}' in kwd
    assert b'"final_total_amount":{"value":0.1,"currency":"KWD"}' in kwd
    assert b'"original_total_amount":{"value":1000,"currency":"JPY"}' in jpy


def test_optional_fields_without_value_are_omitted_not_null(client, read_auth, make_order):
    make_order(
        purchase_datetime=None, delivery_type="", shipping_address=None, billing_address=None,
        original_total_amount=None, final_total_amount=None, card_brand="", card_last4="",
        is_refunded=None,
    )  # fmt: skip

    body = client.get(URL, **read_auth).json()

    assert body == {
        "id": "order123",
        "order_number": "#ORDER123",
        "customer_id": "customer123",
        "is_cancellable": True,
        "is_change_shipping_address_allowed": True,
        "is_refundable": False,
        "is_returnable": False,
        "fulfillment_status": "UNFULFILLED",
        "_links": {"self": {"href": "http://testserver" + URL}},
    }


def test_brand_is_shown_when_set(client, read_auth, make_order):
    make_order(brand="acme")

    assert client.get(URL, **read_auth).json()["brand"] == "acme"


def test_items_number_is_the_sum_of_item_quantities(client, read_auth, make_order):
    make_order(
        items_number=99,
        items=[
            {"name": "Shirt", "quantity": 2, "price": Decimal("5"), "image_url": "https://i/a.jpg"},
            {"name": "Hat", "quantity": 3, "price": Decimal("9"), "image_url": "https://i/b.jpg"},
            {"name": "Cap", "quantity": 1, "price": Decimal("9"), "image_url": "https://i/c.jpg"},
        ],
    )

    body = client.get(URL, **read_auth).json()

    assert body["items_number"] == 6
    # No stored image: the first of the most expensive items.
    assert body["order_extra_info"]["highlighted_item_image_url"] == "https://i/b.jpg"


def test_items_number_falls_back_to_the_stored_value(client, read_auth, make_order):
    make_order(items_number=4)

    assert client.get(URL, **read_auth).json()["items_number"] == 4


def test_latest_status_tie_goes_to_the_last_recorded_event(client, read_auth, make_order):
    at = datetime(2022, 1, 1, tzinfo=UTC)
    make_order(
        events=[
            {"generic_type": "ON_ITS_WAY", "detailed_type": "IN_TRANSIT", "status_date_time": at},
            {"generic_type": "DELIVERED", "detailed_type": "DELIVERED", "status_date_time": at,
             "description": "Left at the door"},
            {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED",
             "status_date_time": datetime(2021, 12, 31, tzinfo=UTC)},
        ]
    )  # fmt: skip

    latest = client.get(URL, **read_auth).json()["order_extra_info"]["latest_status_info"]

    assert latest == {
        "generic_type": "DELIVERED",
        "detailed_type": "DELIVERED",
        "status_date_time": "2022-01-01T00:00:00.000Z",
        "description": "Left at the door",
    }


def test_cancellation_status_is_shown(client, read_auth, make_order):
    make_order(cancellation_status="CANCELED")

    assert client.get(URL, **read_auth).json()["cancellation_status"] == "CANCELED"


def test_trailing_slash_is_served_the_same(client, read_auth, seed_order):
    plain = client.get(URL, **read_auth)
    slashed = client.get(URL + "/", **read_auth)

    assert slashed.status_code == HTTPStatus.OK
    assert slashed.content == plain.content


def test_brand_filter_hides_other_brands_and_unbranded_orders(client, read_auth, make_order):
    make_order(brand="acme")

    assert client.get(URL + "?brand=acme", **read_auth).status_code == HTTPStatus.OK
    assert client.get(URL + "?brand=other", **read_auth).status_code == HTTPStatus.NOT_FOUND
    assert client.get(URL + "?brand=", **read_auth).status_code == HTTPStatus.OK


def test_brand_filter_on_an_unbranded_order_is_not_found(client, read_auth, make_order):
    make_order()

    assert client.get(URL + "?brand=acme", **read_auth).status_code == HTTPStatus.NOT_FOUND


def test_self_link_keeps_the_brand(client, read_auth, make_order):
    make_order(brand="acme & co")

    body = client.get(URL + "/?brand=acme+%26+co", **read_auth).json()

    assert body["_links"]["self"]["href"] == f"http://testserver{URL}?brand=acme+%26+co"


def test_self_link_uses_the_public_base_url(client, read_auth, seed_order, settings):
    settings.ERCDASH_PUBLIC_BASE_URL = "https://api.example.com"

    body = client.get(URL, **read_auth).json()

    assert body["_links"]["self"]["href"] == "https://api.example.com" + URL


def test_responses_are_not_cached(client, read_auth, seed_order):
    assert client.get(URL, **read_auth)["Cache-Control"] == "no-store"


def test_strong_etag_answers_304(client, read_auth, seed_order):
    first = client.get(URL, **read_auth)
    etag = first["ETag"]

    again = client.get(URL, HTTP_IF_NONE_MATCH=etag, **read_auth)

    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    assert again["ETag"] == etag


def test_etag_changes_when_the_order_changes(client, read_auth, seed_order):
    etag = client.get(URL, **read_auth)["ETag"]
    Order.objects.filter(pk=seed_order.pk).update(cancellation_status="CANCELED")
    services.order_refresh(order=Order.objects.get(pk=seed_order.pk))

    response = client.get(URL, HTTP_IF_NONE_MATCH=etag, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert response["ETag"] != etag


def test_an_order_read_is_one_query_whatever_its_size(
    client, read_auth, make_order, django_assert_num_queries
):
    make_order(
        items=[{"name": f"item {n}", "quantity": 1, "price": Decimal(n)} for n in range(30)],
        events=[
            {"generic_type": "CONFIRMED", "status_date_time": datetime(2021, 1, n, tzinfo=UTC)}
            for n in range(1, 25)
        ],
    )

    with django_assert_num_queries(1):  # the token and the stored document, together
        response = client.get(URL, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["items_number"] == 30


@pytest.mark.parametrize(
    "auth",
    [
        {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
        {},
    ],
)
def test_without_a_valid_token_nothing_of_the_order_is_answered(client, seed_order, auth):
    response = client.get(URL, **auth)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    for leak in (b"Y34DHR", b"John", b"4567", b"order123"):
        assert leak not in response.content


def test_without_the_read_scope_nothing_of_the_order_is_answered(client, bearer, seed_order):
    response = client.get(URL, **bearer(WRITE))

    assert response.status_code == HTTPStatus.FORBIDDEN
    for leak in (b"Y34DHR", b"John", b"4567"):
        assert leak not in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/erc/ecommerce/customers/customer123/orders/order%00123",
        URL + "?brand=ac%00me",
    ],
)
def test_malformed_parameters_never_reach_the_order_query(
    client, read_auth, seed_order, url, django_assert_num_queries
):
    with django_assert_num_queries(1) as captured:  # the token alone
        response = client.get(url, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "orders_order" not in captured.captured_queries[0]["sql"]


def test_an_order_without_a_stored_document_is_still_served(client, read_auth, make_order):
    from orders.models import Order

    make_order()
    Order.objects.update(document="")

    response = client.get(URL, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == "order123"


def test_api_responses_are_stateless_and_unframeable(client, read_auth, seed_order):
    client.cookies["sessionid"] = "whatever"

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="pt", **read_auth)

    assert response.cookies == {}
    assert "Accept-Language" not in response.get("Vary", "")
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_postgresql_prepares_the_read_after_a_few_calls(client, read_auth, seed_order):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")

    for _ in range(6):
        assert client.get(URL, **read_auth).status_code == HTTPStatus.OK

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("token_checksum" in statement for statement in prepared)
