from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import connection, transaction

from orders import selectors
from orders.api import pagination
from orders.models import Order

ORDERS = "/erc/ecommerce/customers/customer123/orders"
ALL_ORDERS = "/erc/ecommerce/orders"
ITEMS = "/erc/ecommerce/customers/customer123/orders/order123/items"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def walk(client, auth, url: str) -> tuple[list[str], int]:
    """Follow _links.next from url; the ids seen in order, and the number of pages."""
    seen, pages = [], 0
    while url:
        response = client.get(url, **auth)
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        key = next(iter(body["_embedded"]))
        seen.extend(entry["id"] for entry in body["_embedded"][key])
        pages += 1
        url = body["_links"].get("next", {}).get("href", "")
    return seen, pages


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


@pytest.fixture
def tied_orders(make_order):
    """Nine orders: three share a purchase time, two have none."""
    times = [T0, T0 + timedelta(days=1), T0 + timedelta(days=1), T0 + timedelta(days=1)]
    times += [T0 + timedelta(days=2), T0 + timedelta(days=3), T0 - timedelta(days=1)]
    times += [None, None]
    return [make_order(f"o{n}", purchase_datetime=at) for n, at in enumerate(times)]


def expected_desc(orders) -> list[str]:
    dated = sorted(
        (o for o in orders if o.purchase_datetime), key=lambda o: (o.purchase_datetime, o.pk)
    )
    undated = sorted((o for o in orders if not o.purchase_datetime), key=lambda o: o.pk)
    return [o.external_id for o in reversed(dated)] + [o.external_id for o in reversed(undated)]


def test_customer_orders_walk_every_page_newest_first_without_gaps(client, read_auth, tied_orders):
    seen, pages = walk(client, read_auth, ORDERS + "?limit=2")

    assert seen == expected_desc(tied_orders)
    assert pages == 5


def test_ascending_walk_is_the_exact_reverse(client, read_auth, tied_orders):
    seen, pages = walk(client, read_auth, ORDERS + "?limit=2&order_by=purchase_datetime:asc")

    assert seen == list(reversed(expected_desc(tied_orders)))
    assert pages == 5


@pytest.mark.parametrize("limit", [1, 3, 4, 9, 100])
def test_any_page_size_sees_every_order_once(client, read_auth, tied_orders, limit):
    seen, _ = walk(client, read_auth, f"{ORDERS}?limit={limit}")

    assert seen == expected_desc(tied_orders)


def test_orders_sharing_a_purchase_time_are_paged_by_id(client, read_auth, make_order):
    orders = [make_order(f"tie{n}", purchase_datetime=T0) for n in range(7)]

    seen, pages = walk(client, read_auth, ORDERS + "?limit=3")

    assert seen == [o.external_id for o in sorted(orders, key=lambda o: -o.pk)]
    assert pages == 3


def test_list_body_holds_full_orders_with_their_own_links(client, read_auth, make_order):
    order = make_order(brand="acme")
    detail = client.get(f"{ORDERS}/order123", **read_auth).json()

    body = client.get(ORDERS, **read_auth).json()

    assert order.external_id == "order123"
    assert body == {
        "_embedded": {"orders": [detail]},
        "_links": {"self": {"href": "http://testserver" + ORDERS}},
    }


def test_next_appears_only_when_more_orders_remain(client, read_auth, make_order):
    make_order("a", purchase_datetime=T0)
    make_order("b", purchase_datetime=T0 + timedelta(hours=1))

    full = client.get(ORDERS + "?limit=2", **read_auth).json()
    partial = client.get(ORDERS + "?limit=1", **read_auth).json()

    assert "next" not in full["_links"]
    assert "next" in partial["_links"]


def test_self_and_next_links_keep_the_query(client, read_auth, make_order):
    for n in range(3):
        make_order(f"o{n}", brand="acme", purchase_datetime=T0 + timedelta(hours=n))

    body = client.get(
        ORDERS + "?brand=acme&limit=1&order_by=purchase_datetime:asc", **read_auth
    ).json()

    assert body["_links"]["self"]["href"] == (
        "http://testserver" + ORDERS + "?brand=acme&limit=1&order_by=purchase_datetime%3Aasc"
    )
    next_query = query_of(body["_links"]["next"]["href"])
    assert next_query["brand"] == ["acme"]
    assert next_query["limit"] == ["1"]
    assert next_query["order_by"] == ["purchase_datetime:asc"]
    assert body["_embedded"]["orders"][0]["_links"]["self"]["href"] == (
        "http://testserver" + ORDERS + "/o0?brand=acme"
    )


def test_links_use_the_public_base_url(client, read_auth, make_order, settings):
    settings.ERCDASH_PUBLIC_BASE_URL = "https://api.example.com"
    make_order("a")
    make_order("b")

    body = client.get(ORDERS + "?limit=1", **read_auth).json()

    assert body["_links"]["self"]["href"] == "https://api.example.com" + ORDERS + "?limit=1"
    assert body["_links"]["next"]["href"].startswith("https://api.example.com" + ORDERS + "?")


def test_default_page_is_fifty_orders(client, read_auth, make_order, make_customer):
    customer = make_customer()
    for n in range(51):
        make_order(f"o{n}", customer=customer, purchase_datetime=T0 + timedelta(minutes=n))

    body = client.get(ORDERS, **read_auth).json()

    assert len(body["_embedded"]["orders"]) == 50
    assert "next" in body["_links"]


def test_an_unknown_customer_is_not_found(client, read_auth, db):
    response = client.get("/erc/ecommerce/customers/nobody/orders", **read_auth)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "code": "not_found",
        "message": "Customer not found",
        "description": "No customer nobody was found.",
        "fields": [],
    }


def test_a_customer_without_orders_gets_an_empty_list(client, read_auth, make_customer):
    make_customer()

    body = client.get(ORDERS, **read_auth).json()

    assert body == {
        "_embedded": {"orders": []},
        "_links": {"self": {"href": "http://testserver" + ORDERS}},
    }


def test_customer_orders_exclude_other_customers(client, read_auth, make_order, make_customer):
    make_order("mine")
    make_order("theirs", customer=make_customer("someone-else"))

    seen, _ = walk(client, read_auth, ORDERS)

    assert seen == ["mine"]


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS])
def test_brand_filters_orders_out_of_lists(client, read_auth, make_order, url):
    make_order("acme-order", brand="acme")
    make_order("other-order", brand="other")
    make_order("no-brand")

    assert walk(client, read_auth, url + "?brand=acme")[0] == ["acme-order"]
    assert len(walk(client, read_auth, url + "?brand=")[0]) == 3


# --- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS, ITEMS])
@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", " 5", "99999999999"])
def test_a_bad_limit_is_a_400_naming_it(client, read_auth, make_order, url, limit):
    make_order()

    response = client.get(url, {"limit": limit}, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "code": "invalid_parameter",
        "message": "Invalid parameters",
        "description": "Check the parameters: limit.",
        "fields": [{"name": "limit", "description": "Must be an integer between 1 and 100."}],
    }


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS])
def test_a_bad_order_by_is_a_400_naming_it(client, read_auth, make_order, url):
    make_order()

    response = client.get(url, {"order_by": "order_number"}, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == [
        {
            "name": "order_by",
            "description": "Must be one of: purchase_datetime:desc, purchase_datetime:asc.",
        }
    ]


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS, ITEMS])
@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjoib3JkZXJzIn0:1rX:abc", "a" * 200])
def test_a_garbage_cursor_is_a_400_naming_it(client, read_auth, make_order, url, cursor):
    make_order()

    response = client.get(url, {"cursor": cursor}, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [field["name"] for field in response.json()["fields"]] == ["cursor"]


def test_a_tampered_cursor_is_a_400(client, read_auth, make_order):
    make_order("a")
    make_order("b", purchase_datetime=T0)
    cursor = query_of(client.get(ORDERS + "?limit=1", **read_auth).json()["_links"]["next"]["href"])
    cursor = cursor["cursor"][0]
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")

    response = client.get(ORDERS, {"cursor": tampered, "limit": 1}, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"][0]["name"] == "cursor"


def test_a_forged_cursor_signed_with_another_key_is_a_400(client, read_auth, make_order):
    make_order()
    forged = signing.dumps(
        {"k": "orders", "o": pagination.ORDER_BY_DESC, "p": None, "i": 0},
        key="not-our-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        salt="ercdash.api.cursor",
    )

    response = client.get(ORDERS, {"cursor": forged}, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_a_cursor_used_with_another_order_by_is_a_400(client, read_auth, make_order):
    make_order("a")
    make_order("b", purchase_datetime=T0)
    next_href = client.get(ORDERS + "?limit=1", **read_auth).json()["_links"]["next"]["href"]
    cursor = query_of(next_href)["cursor"][0]

    response = client.get(
        ORDERS, {"cursor": cursor, "order_by": "purchase_datetime:asc"}, **read_auth
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == [
        {
            "name": "cursor",
            "description": "This cursor belongs to another order_by; keep order_by unchanged.",
        }
    ]


def test_an_orders_cursor_does_not_work_for_items(client, read_auth, make_order):
    make_order("order123", items=[{"name": "Hat", "price": Decimal("1")}])
    make_order("b", purchase_datetime=T0)
    next_href = client.get(ORDERS + "?limit=1", **read_auth).json()["_links"]["next"]["href"]

    response = client.get(ITEMS, {"cursor": query_of(next_href)["cursor"][0]}, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_every_bad_parameter_is_named_at_once(client, read_auth, make_order):
    make_order()

    response = client.get(ORDERS, {"limit": "0", "order_by": "x", "cursor": "y"}, **read_auth)

    assert [field["name"] for field in response.json()["fields"]] == [
        "limit",
        "order_by",
        "cursor",
    ]


def test_bad_parameters_come_before_an_unknown_customer(client, read_auth, db):
    response = client.get("/erc/ecommerce/customers/nobody/orders?limit=0", **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_empty_text_parameters_count_as_absent(client, read_auth, make_order):
    make_order()

    response = client.get(ORDERS + "?cursor=&brand=&search=", **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["_embedded"]["orders"]) == 1


def test_an_empty_limit_or_order_by_is_a_400_naming_each(client, read_auth, make_order):
    make_order()

    response = client.get(ORDERS + "?limit=&order_by=", **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [field["name"] for field in response.json()["fields"]] == ["limit", "order_by"]


# --- account-wide list --------------------------------------------------------------------


def test_account_list_spans_customers(client, read_auth, make_order, make_customer):
    make_order("a", purchase_datetime=T0)
    make_order("b", customer=make_customer("other"), purchase_datetime=T0 + timedelta(days=1))

    assert walk(client, read_auth, ALL_ORDERS + "?limit=1") == (["b", "a"], 2)


@pytest.mark.parametrize("search", ["#Y34DHR", "Y34DHR", "#y34dhr", " y34dhr "])
def test_account_list_searches_by_order_number(client, read_auth, make_order, search):
    make_order(order_number="#Y34DHR")
    make_order("other", order_number="#OTHER")

    seen, _ = walk(client, read_auth, f"{ALL_ORDERS}?search={search.replace('#', '%23')}")

    assert seen == ["order123"]


def test_search_is_kept_in_the_next_link(client, read_auth, make_order, make_customer):
    make_order("a", order_number="#SAME")
    make_order("b", order_number="#SAME", customer=make_customer("other"))

    body = client.get(ALL_ORDERS + "?search=%23SAME&limit=1", **read_auth).json()

    assert query_of(body["_links"]["next"]["href"])["search"] == ["#SAME"]


# --- items --------------------------------------------------------------------------------


@pytest.fixture
def order_with_items(make_order):
    return make_order(
        items=[
            {"name": f"item {n}", "quantity": 1, "price": Decimal(n), "sku": f"SKU{n}"}
            for n in range(7)
        ]
    )


def test_items_are_listed_in_order_sequence_across_pages(client, read_auth, order_with_items):
    seen, pages = walk(client, read_auth, ITEMS + "?limit=3")

    assert seen == [f"item{n}" for n in range(7)]
    assert pages == 3


def test_items_body_shape(client, read_auth, make_order):
    make_order(
        items=[
            {"name": "Shirt", "quantity": 2, "price": Decimal("10.50"), "sku": "TS-1",
             "image_url": "https://i/a.jpg", "description": "Blue"},
        ]
    )  # fmt: skip

    body = client.get(ITEMS, **read_auth).json()

    assert body == {
        "_embedded": {
            "items": [
                {
                    "id": "item0",
                    "name": "Shirt",
                    "sku": "TS-1",
                    "quantity": 2,
                    "price": {"value": 10.5, "currency": "EUR"},
                    "image_url": "https://i/a.jpg",
                    "description": "Blue",
                    "deliverable_quantity": 2,
                    "deliveries": [],
                }
            ]
        },
        "_links": {"self": {"href": "http://testserver" + ITEMS}},
    }


def test_an_item_without_a_name_has_the_empty_name(client, read_auth, make_order):
    make_order(items=[{"quantity": 1, "price": Decimal("1")}])

    (item,) = client.get(ITEMS, **read_auth).json()["_embedded"]["items"]

    assert item["name"] == ""


def test_another_customers_order_items_are_not_found_like_a_missing_order(
    client, read_auth, make_order, make_customer
):
    make_customer()
    make_order("order123", customer=make_customer("other"), items=[{"price": Decimal("1")}])

    theirs = client.get(ITEMS, **read_auth)
    missing = client.get(ITEMS.replace("order123", "order999"), **read_auth)

    assert theirs.status_code == HTTPStatus.NOT_FOUND
    assert theirs.json() == {
        "code": "not_found",
        "message": "Order not found",
        "description": "No order order123 was found for this customer.",
        "fields": [],
    }
    assert missing.content == theirs.content.replace(b"order123", b"order999")


def test_items_of_another_brand_are_not_found(client, read_auth, make_order):
    make_order(brand="acme", items=[{"price": Decimal("1")}])

    assert client.get(ITEMS + "?brand=acme", **read_auth).status_code == HTTPStatus.OK
    assert client.get(ITEMS + "?brand=other", **read_auth).status_code == HTTPStatus.NOT_FOUND


def test_items_of_an_unbranded_order_are_not_found_for_a_brand(client, read_auth, make_order):
    make_order(items=[{"price": Decimal("1")}])

    assert client.get(ITEMS + "?brand=acme", **read_auth).status_code == HTTPStatus.NOT_FOUND


# --- budgets ------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
def test_customer_orders_cost_three_queries_whatever_the_length(
    client, read_auth, make_order, make_customer, django_assert_num_queries, count
):
    customer = make_customer()
    for n in range(count):
        make_order(f"o{n}", customer=customer, items=[{"price": Decimal("1")}])

    # token, customer exists, one page of orders with customer and addresses joined
    with django_assert_num_queries(3):
        response = client.get(ORDERS + "?limit=100", **read_auth)

    assert len(response.json()["_embedded"]["orders"]) == count


@pytest.mark.parametrize("count", [1, 30])
def test_account_orders_cost_two_queries_whatever_the_length(
    client, read_auth, make_order, django_assert_num_queries, count
):
    for n in range(count):
        make_order(f"o{n}")

    with django_assert_num_queries(2):
        response = client.get(ALL_ORDERS + "?limit=100", **read_auth)

    assert len(response.json()["_embedded"]["orders"]) == count


@pytest.mark.parametrize("count", [1, 30])
def test_items_cost_four_queries_whatever_the_length(
    client, read_auth, make_order, make_shipment, django_assert_num_queries, count
):
    order = make_order(items=[{"price": Decimal(n)} for n in range(count)])
    make_shipment(order, lines=[(item, 1) for item in order.items.all()])
    make_shipment(order, lines=[(order.items.first(), 1)])

    # Token, order, the page of items, the parcels they travel in.
    with django_assert_num_queries(4):
        response = client.get(ITEMS + "?limit=100", **read_auth)

    assert len(response.json()["_embedded"]["items"]) == count


def test_no_page_holds_more_than_a_hundred_orders(client, read_auth, make_order, make_customer):
    customer = make_customer()
    for n in range(101):
        make_order(f"o{n}", customer=customer)

    body = client.get(ORDERS + "?limit=100", **read_auth).json()

    assert len(body["_embedded"]["orders"]) == 100
    assert "next" in body["_links"]


# --- auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS, ITEMS])
def test_lists_need_a_token_before_anything_else(client, db, url):
    response = client.get(url + "?limit=0")

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS, ITEMS])
def test_list_trailing_slash_is_served_the_same(client, read_auth, make_order, url):
    make_order(items=[{"price": Decimal("1")}])

    plain = client.get(url, **read_auth).json()
    slashed = client.get(url + "/", **read_auth).json()

    assert slashed["_embedded"] == plain["_embedded"]


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS, ITEMS])
def test_lists_answer_options_with_allow(client, db, url):
    response = client.options(url)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("url", [ORDERS, ALL_ORDERS, ITEMS])
def test_lists_refuse_other_methods_with_405(client, read_auth, make_order, url):
    make_order()

    response = client.post(url, **read_auth)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("order_by", [pagination.ORDER_BY_DESC, pagination.ORDER_BY_ASC])
def test_account_list_pages_are_read_in_index_order_on_postgresql(db, make_order, order_by):
    if connection.vendor != "postgresql":
        pytest.skip("the NULLS LAST index is PostgreSQL's (migration 0006)")
    make_order()
    params = pagination.CursorParams(limit=25, order_by=order_by, position=None)
    page = pagination.order_keyset(selectors.orders_search(), params)[:26]

    with transaction.atomic(), connection.cursor() as cursor:
        # A sort the planner cannot avoid would still show up, only priced higher.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = page.explain()

    assert "order_recent_idx" in plan
    assert "Sort" not in plan


def test_list_entries_are_the_order_bodies_the_detail_read_serves(
    client, read_auth, make_order, make_customer
):
    make_order("o1", order_number="#1")
    make_order("o2", order_number="#2", customer=make_customer("jane"), brand="acme")

    entries = client.get(ALL_ORDERS, **read_auth).json()["_embedded"]["orders"]

    assert len(entries) == 2
    for entry in entries:
        detail = client.get(entry["_links"]["self"]["href"], **read_auth)
        assert detail.json() == entry


def test_an_order_without_a_stored_document_is_still_listed_in_full(client, read_auth, make_order):
    make_order()
    expected = client.get(ORDERS, **read_auth).json()
    Order.objects.update(document="")

    assert client.get(ORDERS, **read_auth).json() == expected
