from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest

from orders.models import Customer

CUSTOMER = "/erc/ecommerce/customers/customer123"
ORDERS = CUSTOMER + "/orders"
MOST_RECENT = CUSTOMER + "/most-recent-order"
SEARCH = "/erc/ecommerce/external-customers"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def contacts(client, auth, query: str) -> list[dict]:
    response = client.get(SEARCH + query, **auth)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["_embedded"]["contacts"]


# --- external-customers: Talkdesk's contacts ------------------------------------------------


def test_a_contact_has_brand_creation_time_and_custom_fields(client, read_auth, make_customer):
    make_customer(
        "jane",
        first_name="Jane",
        last_name="Roe",
        brand="acme",
        customer_since=datetime(2020, 5, 1, 8, 30, tzinfo=UTC),
        custom_fields={"tier": "gold"},
    )

    (contact,) = contacts(client, read_auth, "?ids=jane")

    assert contact["name"] == "Jane Roe"
    assert contact["brand"] == "acme"
    assert contact["created_at"] == "2020-05-01T08:30:00.000Z"
    assert contact["custom_fields"] == {"tier": "gold"}


def test_a_contact_without_name_email_or_phone_keeps_the_required_fields(
    client, read_auth, make_customer
):
    make_customer("anon", first_name="", last_name="", email="", phone_number="")

    (contact,) = contacts(client, read_auth, "?ids=anon")

    assert contact["name"] == ""
    assert (contact["emails"], contact["phones"]) == ([], [])
    assert {"customer_id", "name", "created_at", "updated_at"} <= set(contact)
    assert "brand" not in contact
    assert "custom_fields" not in contact


@pytest.fixture
def four(make_customer):
    return [make_customer(name, last_name="Silva" if name != "d" else "Roe") for name in "abcd"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?ids=b&ids=d", ["b", "d"]),
        ("?ids[]=c", ["c"]),
        ("?ids%5B%5D=a&ids=c", ["a", "c"]),
        ("?ids=a&ids=a", ["a"]),
        ("?ids=nobody", []),
        ("?ids=", ["a", "b", "c", "d"]),
        ("?ids=a&ids=d&name=silva", ["a"]),
    ],
)
def test_ids_restrict_the_search_to_those_customers(client, read_auth, four, query, expected):
    found = contacts(client, read_auth, query)

    assert [contact["customer_id"] for contact in found] == expected


def test_ids_are_kept_in_the_links(client, read_auth, four):
    body = client.get(SEARCH + "?ids[]=a&ids=b&ids=c&per_page=1", **read_auth).json()

    for name in ("self", "first", "last", "next"):
        # Canonically spelled ids: those of ids first, then those of ids[].
        assert parse_qs(urlsplit(body["_links"][name]["href"]).query)["ids"] == ["b", "c", "a"]


def test_more_than_a_hundred_ids_is_a_400(client, read_auth, db):
    query = "?" + "&".join(f"ids=c{n}" for n in range(101))

    response = client.get(SEARCH + query, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [field["name"] for field in response.json()["fields"]] == ["ids"]


def test_the_search_with_ids_still_costs_three_queries(
    client, read_auth, four, django_assert_num_queries
):
    with django_assert_num_queries(3):  # token, count, page
        client.get(SEARCH + "?ids=a&ids=b&ids=c", **read_auth)


# --- customer: average order value, custom fields -------------------------------------------


def customer(client, auth, query: str = "") -> dict:
    response = client.get(CUSTOMER + query, **auth)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def test_average_order_value_is_the_mean_final_total_half_up(client, read_auth, make_order):
    make_order("a", final_total_amount=Decimal("10.00"))
    make_order("b", final_total_amount=Decimal("20.25"))

    assert customer(client, read_auth)["average_order_value"] == {"value": 15.13, "currency": "EUR"}


def test_canceled_orders_and_orders_without_a_total_do_not_count(client, read_auth, make_order):
    make_order("a", final_total_amount=Decimal("10.00"))
    make_order("b", final_total_amount=Decimal("990"), cancellation_status="CANCELED")
    make_order("c", original_total_amount=None, final_total_amount=None)

    assert customer(client, read_auth)["average_order_value"]["value"] == 10


def test_no_average_when_the_orders_use_several_currencies(client, read_auth, make_order):
    make_order("a", final_total_amount=Decimal("10"))
    make_order("b", currency="USD", final_total_amount=Decimal("10"))

    assert "average_order_value" not in customer(client, read_auth)


def test_no_average_without_orders(client, read_auth, make_customer):
    make_customer()

    assert "average_order_value" not in customer(client, read_auth)


def test_the_average_counts_only_the_brand_asked_for(client, read_auth, make_order):
    Customer.objects.create(external_id="customer123", brand="acme")
    make_order("a", brand="acme", final_total_amount=Decimal("10"))
    make_order("b", brand="other", currency="JPY", final_total_amount=Decimal("5000"))

    assert "average_order_value" not in customer(client, read_auth)
    assert customer(client, read_auth, "?brand=acme")["average_order_value"] == {
        "value": 10,
        "currency": "EUR",
    }


def test_the_customer_shows_its_custom_fields(client, read_auth, make_customer):
    make_customer(custom_fields={"segment": "vip", "opt_in": False})

    assert customer(client, read_auth)["custom_fields"] == {"opt_in": False, "segment": "vip"}


def test_integration_info_is_absent_for_customers_not_from_a_connector(
    client, read_auth, make_customer
):
    make_customer()

    assert "integration_info" not in customer(client, read_auth)


def test_the_customer_read_still_costs_three_queries_with_many_orders(
    client, read_auth, make_order, django_assert_num_queries
):
    for n in range(12):
        make_order(f"o{n}")

    with django_assert_num_queries(3):  # token, customer with its order totals, addresses
        client.get(CUSTOMER, **read_auth)


# --- customer orders: search by order number ------------------------------------------------


@pytest.mark.parametrize("search", ["%23Y34DHR", "Y34DHR", "y34dhr", "%20%23y34dhr%20"])
def test_customer_orders_search_by_order_number(client, read_auth, make_order, search):
    make_order(order_number="#Y34DHR")
    make_order("other", order_number="#OTHER")

    body = client.get(f"{ORDERS}?search={search}", **read_auth).json()

    assert [order["id"] for order in body["_embedded"]["orders"]] == ["order123"]


def test_customer_orders_search_is_kept_in_the_links(client, read_auth, make_order):
    make_order("a", order_number="#SAME", purchase_datetime=T0)
    make_order("b", order_number="same", purchase_datetime=T0 + timedelta(days=1))

    body = client.get(ORDERS + "?search=SAME&limit=1", **read_auth).json()

    assert parse_qs(urlsplit(body["_links"]["next"]["href"]).query)["search"] == ["SAME"]


def test_customer_orders_search_costs_three_queries(
    client, read_auth, make_order, django_assert_num_queries
):
    for n, number in enumerate(["#N0", "#SAME", "#N2", "same", "#N4"]):
        make_order(f"o{n}", order_number=number)

    with django_assert_num_queries(3):
        body = client.get(ORDERS + "?search=SAME", **read_auth).json()

    assert len(body["_embedded"]["orders"]) == 2


# --- most-recent-order: the highlighted item ------------------------------------------------

ITEMS = [
    {"name": "Mug", "quantity": 1, "price": Decimal("5"), "image_url": "https://i/mug.jpg"},
    {"name": "Blanket", "quantity": 2, "price": Decimal("129"), "image_url": "https://i/b.jpg"},
    {"name": "Tile", "quantity": 1, "price": Decimal("129"), "image_url": "https://i/t.jpg"},
]


def test_the_highlighted_item_is_the_priciest_one_first_on_a_tie(client, read_auth, make_order):
    make_order(items=ITEMS)

    body = client.get(MOST_RECENT, **read_auth).json()

    assert body["highlighted_item"] == {
        "id": "item1",
        "name": "Blanket",
        "quantity": 2,
        "price": {"value": 129, "currency": "EUR"},
        "image_url": "https://i/b.jpg",
        "deliverable_quantity": 2,
        "deliveries": [],
    }
    assert body["order_extra_info"]["highlighted_item_image_url"] == "https://i/b.jpg"


def test_a_stored_highlighted_image_picks_the_item_showing_it(client, read_auth, make_order):
    make_order(items=ITEMS, highlighted_item_image_url="https://i/mug.jpg")

    assert client.get(MOST_RECENT, **read_auth).json()["highlighted_item"]["name"] == "Mug"


@pytest.mark.parametrize(
    ("items", "fields"),
    [
        ([], {}),
        (ITEMS, {"highlighted_item_image_url": "https://elsewhere/banner.jpg"}),
        ([{"name": "No image", "quantity": 1, "price": Decimal("1")}], {}),
    ],
)
def test_no_highlighted_item_when_no_item_shows_the_image(
    client, read_auth, make_order, items, fields
):
    make_order(items=items, **fields)

    assert "highlighted_item" not in client.get(MOST_RECENT, **read_auth).json()


def test_the_most_recent_order_with_its_highlighted_item_costs_five_queries(
    client, read_auth, make_order, django_assert_num_queries
):
    make_order(items=ITEMS)

    # token, order with its item, timeline, parcels, the highlighted item's deliveries
    with django_assert_num_queries(5):
        body = client.get(MOST_RECENT, **read_auth).json()

    assert body["highlighted_item"]["id"] == "item1"


def test_tracking_info_is_absent_until_orders_have_shipments(client, read_auth, make_order):
    make_order()

    assert "tracking_info" not in client.get(MOST_RECENT, **read_auth).json()
