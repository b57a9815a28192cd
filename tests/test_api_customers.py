from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from orders.models import Address, Customer
from orders.rules.times import rfc3339

CUSTOMER = "/erc/ecommerce/customers/customer123"
MOST_RECENT = CUSTOMER + "/most-recent-order"
SEARCH = "/erc/ecommerce/external-customers"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def contact_ids(response) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response.content
    return [contact["customer_id"] for contact in response.json()["_embedded"]["contacts"]]


# --- customer -----------------------------------------------------------------------------


def test_customer_comes_with_every_address(client, read_auth, make_customer):
    customer = make_customer(brand="acme", customer_since=datetime(2020, 5, 1, 8, 30, tzinfo=UTC))
    Address.objects.create(
        customer=customer, external_id="home", address="Rua Augusta 1", zip_code="1100-048",
        city="Lisbon", region_code="PT-11", country_code="PT", is_default=True,
    )  # fmt: skip
    Address.objects.create(customer=customer, city="Porto", country_code="PT")

    response = client.get(CUSTOMER, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "id": "customer123",
        "first_name": "John",
        "last_name": "Doe",
        "email": "customer123@example.com",
        "phone_number": "+351910000000",
        "brand": "acme",
        "customer_since": "2020-05-01T08:30:00.000Z",
        "addresses": [
            {
                "id": "home",
                "address": "Rua Augusta 1",
                "zip_code": "1100-048",
                "city": "Lisbon",
                "region_code": "PT-11",
                "country_code": "PT",
                "default": True,
            },
            {"city": "Porto", "country_code": "PT", "default": False},
        ],
        "_links": {"self": {"href": "http://testserver" + CUSTOMER}},
    }


def test_a_customer_without_addresses_has_an_empty_list(client, read_auth, make_customer):
    make_customer()

    assert client.get(CUSTOMER, **read_auth).json()["addresses"] == []


def test_an_unknown_customer_is_not_found(client, read_auth, db):
    response = client.get(CUSTOMER, **read_auth)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "code": "not_found",
        "message": "Customer not found",
        "description": "No customer customer123 was found.",
        "fields": [],
    }


def test_customer_brand_filter(client, read_auth, make_customer):
    make_customer(brand="acme")
    make_customer("unbranded")

    assert client.get(CUSTOMER + "?brand=acme", **read_auth).status_code == HTTPStatus.OK
    assert client.get(CUSTOMER + "?brand=", **read_auth).status_code == HTTPStatus.OK
    assert client.get(CUSTOMER + "?brand=other", **read_auth).status_code == HTTPStatus.NOT_FOUND
    unbranded = client.get("/erc/ecommerce/customers/unbranded?brand=acme", **read_auth)
    assert unbranded.status_code == HTTPStatus.NOT_FOUND


def test_customer_read_has_a_strong_etag(client, read_auth, make_customer):
    make_customer()
    etag = client.get(CUSTOMER, **read_auth)["ETag"]

    again = client.get(CUSTOMER, HTTP_IF_NONE_MATCH=etag, **read_auth)

    assert again.status_code == HTTPStatus.NOT_MODIFIED


def test_customer_read_costs_three_queries_whatever_the_addresses(
    client, read_auth, make_customer, django_assert_num_queries
):
    customer = make_customer()
    for n in range(20):
        Address.objects.create(customer=customer, external_id=f"a{n}", city="Lisbon")

    with django_assert_num_queries(3):
        response = client.get(CUSTOMER, **read_auth)

    assert len(response.json()["addresses"]) == 20


def test_a_malformed_customer_id_is_a_400(client, read_auth, db):
    response = client.get("/erc/ecommerce/customers/bad%20id", **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"][0]["name"] == "customer_id"


# --- most recent order --------------------------------------------------------------------


@pytest.fixture
def timeline_orders(make_order):
    make_order("older", purchase_datetime=T0)
    make_order("undated", purchase_datetime=None)
    return make_order(
        "latest",
        purchase_datetime=T0 + timedelta(days=1),
        events=[
            {"generic_type": "ON_ITS_WAY", "detailed_type": "IN_TRANSIT",
             "status_date_time": T0 + timedelta(days=2)},
            {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED",
             "status_date_time": T0 + timedelta(days=1, hours=1)},
            {"generic_type": "DELIVERED", "detailed_type": "DELIVERED",
             "status_date_time": T0 + timedelta(days=2), "description": "Left at the door"},
        ],
    )  # fmt: skip


def test_most_recent_order_has_the_whole_timeline_oldest_first(client, read_auth, timeline_orders):
    detail = client.get(CUSTOMER + "/orders/latest", **read_auth).json()

    body = client.get(MOST_RECENT, **read_auth).json()

    links = detail.pop("_links")
    assert body == {
        **detail,
        "status_info": [
            {
                "generic_type": "CONFIRMED",
                "detailed_type": "CONFIRMED",
                "status_date_time": "2024-01-02T01:00:00.000Z",
            },
            {
                "generic_type": "ON_ITS_WAY",
                "detailed_type": "IN_TRANSIT",
                "status_date_time": "2024-01-03T00:00:00.000Z",
            },
            {
                "generic_type": "DELIVERED",
                "detailed_type": "DELIVERED",
                "status_date_time": "2024-01-03T00:00:00.000Z",
                "description": "Left at the door",
            },
        ],
        "status_info_current_index": 2,
        "_links": links,
    }
    latest = body["status_info"][body["status_info_current_index"]]
    assert latest == body["order_extra_info"]["latest_status_info"]


def test_most_recent_order_without_events_has_an_empty_timeline(client, read_auth, make_order):
    make_order()

    body = client.get(MOST_RECENT, **read_auth).json()

    assert body["id"] == "order123"
    assert body["status_info"] == []
    assert "status_info_current_index" not in body


def test_most_recent_order_respects_the_brand(client, read_auth, make_order):
    make_order("acme-old", brand="acme", purchase_datetime=T0)
    make_order("other-new", brand="other", purchase_datetime=T0 + timedelta(days=5))
    make_order("unbranded-newest", purchase_datetime=T0 + timedelta(days=9))

    assert client.get(MOST_RECENT, **read_auth).json()["id"] == "unbranded-newest"
    assert client.get(MOST_RECENT + "?brand=acme", **read_auth).json()["id"] == "acme-old"
    missing = client.get(MOST_RECENT + "?brand=nobody", **read_auth)
    assert missing.status_code == HTTPStatus.NOT_FOUND


def test_most_recent_order_of_an_unknown_customer_is_not_found(client, read_auth, db):
    response = client.get(MOST_RECENT, **read_auth)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["message"] == "Customer not found"


def test_most_recent_order_of_a_customer_without_orders_is_not_found(
    client, read_auth, make_customer
):
    make_customer()

    response = client.get(MOST_RECENT, **read_auth)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "code": "not_found",
        "message": "Order not found",
        "description": "Customer customer123 has no orders.",
        "fields": [],
    }


def test_most_recent_order_costs_four_queries(
    client, read_auth, timeline_orders, django_assert_num_queries
):
    # Token, order, its timeline, its parcels.
    with django_assert_num_queries(4):
        response = client.get(MOST_RECENT, **read_auth)

    assert response.status_code == HTTPStatus.OK


# --- external-customers -------------------------------------------------------------------


@pytest.fixture
def people(make_customer):
    return [
        make_customer("jose", first_name="José", last_name="Álvares", email="Jose@Example.com",
                      phone_number="+351912345678"),
        make_customer("joao", first_name="João", last_name="Silva", email="joao@example.com",
                      phone_number="+351913000000", brand="acme"),
        make_customer("mary", first_name="Mary Ann", last_name="Smith", email="mary@example.com",
                      phone_number="+447911123456"),
    ]  # fmt: skip


def test_search_body_is_a_page_envelope_of_talkdesk_contacts(client, read_auth, people):
    mary = Customer.objects.get(external_id="mary")

    response = client.get(SEARCH + "?email=mary@example.com", **read_auth)

    assert response.json() == {
        "total": 1,
        "count": 1,
        "page": 1,
        "per_page": 50,
        "total_pages": 1,
        "_embedded": {
            "contacts": [
                {
                    "customer_id": "mary",
                    "name": "Mary Ann Smith",
                    "created_at": rfc3339(mary.created_at),
                    "updated_at": rfc3339(mary.updated_at),
                    "emails": ["mary@example.com"],
                    "phones": ["+447911123456"],
                    "_links": {"self": {"href": "http://testserver/erc/ecommerce/customers/mary"}},
                }
            ]
        },
        "_links": {
            "self": {"href": f"http://testserver{SEARCH}?email=mary%40example.com"},
            "first": {"href": f"http://testserver{SEARCH}?email=mary%40example.com&page=1"},
            "last": {"href": f"http://testserver{SEARCH}?email=mary%40example.com&page=1"},
        },
    }


@pytest.mark.parametrize("email", ["jose@example.com", "JOSE@EXAMPLE.COM", " Jose@Example.com "])
def test_email_is_exact_and_case_insensitive(client, read_auth, people, email):
    assert contact_ids(client.get(SEARCH, {"email": email}, **read_auth)) == ["jose"]


def test_email_is_not_a_substring_match(client, read_auth, people):
    assert contact_ids(client.get(SEARCH, {"email": "example.com"}, **read_auth)) == []


@pytest.mark.parametrize(
    "phone",
    [
        "+351912345678",
        "+351 912 345 678",
        "+351-912-345-678",
        "00351 912 345 678",
        "(+351) 912345678",
        "912 345 678",
        "912-345-678",
    ],
)
def test_phone_matches_in_any_common_format(client, read_auth, people, phone):
    assert contact_ids(client.get(SEARCH, {"phone": phone}, **read_auth)) == ["jose"]


def test_phone_with_a_national_prefix_uses_the_default_region(client, read_auth, people, settings):
    settings.ERCDASH_DEFAULT_PHONE_REGION = "GB"

    assert contact_ids(client.get(SEARCH, {"phone": "07911 123456"}, **read_auth)) == ["mary"]
    assert contact_ids(client.get(SEARCH, {"phone": "07911-123-456"}, **read_auth)) == ["mary"]


def test_text_that_is_no_phone_number_matches_nobody(client, read_auth, people):
    assert contact_ids(client.get(SEARCH, {"phone": "not a phone"}, **read_auth)) == []


@pytest.mark.parametrize(
    "name", ["José Álvares", "jose alvares", "JOSÉ", "alvares", " Jose  Alvares "]
)
def test_exact_name_matches_full_first_or_last_name_ignoring_case_and_accents(
    client, read_auth, people, name
):
    assert contact_ids(client.get(SEARCH, {"name": name}, **read_auth)) == ["jose"]


@pytest.mark.parametrize("name", ["Jos", "Mary", "Alvares Jose", "ann smith x"])
def test_exact_name_does_not_match_parts(client, read_auth, people, name):
    assert contact_ids(client.get(SEARCH, {"name": name, "matchMode": "exact"}, **read_auth)) == []


def test_exact_name_matches_a_first_name_with_spaces(client, read_auth, people):
    assert contact_ids(client.get(SEARCH, {"name": "mary ann"}, **read_auth)) == ["mary"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("jo", ["joao", "jose"]), ("SILV", ["joao"]), ("ann sm", ["mary"]), ("ÁLV", ["jose"])],
)
def test_fuzzy_name_is_a_contains_match_ignoring_case_and_accents(
    client, read_auth, people, name, expected
):
    response = client.get(SEARCH, {"name": name, "matchMode": "fuzzy"}, **read_auth)

    assert contact_ids(response) == expected


def test_criteria_combine(client, read_auth, people):
    response = client.get(
        SEARCH, {"name": "jo", "matchMode": "fuzzy", "phone": "913 000 000"}, **read_auth
    )

    assert contact_ids(response) == ["joao"]


def test_no_criteria_lists_every_customer(client, read_auth, people):
    assert contact_ids(client.get(SEARCH, **read_auth)) == ["joao", "jose", "mary"]


def test_search_brand_filters_out_other_and_unbranded_customers(client, read_auth, people):
    assert contact_ids(client.get(SEARCH, {"name": "jo", "matchMode": "fuzzy",
                                           "brand": "acme"}, **read_auth)) == ["joao"]  # fmt: skip
    assert contact_ids(client.get(SEARCH, {"brand": ""}, **read_auth)) == ["joao", "jose", "mary"]


def test_search_keeps_the_brand_in_contact_links(client, read_auth, people):
    body = client.get(SEARCH, {"brand": "acme"}, **read_auth).json()

    assert body["_embedded"]["contacts"][0]["_links"]["self"]["href"] == (
        "http://testserver/erc/ecommerce/customers/joao?brand=acme"
    )


def test_pages_have_first_last_prev_and_next_links(client, read_auth, make_customer):
    for n in range(5):
        make_customer(f"c{n}")

    body = client.get(SEARCH + "?per_page=2&page=2", **read_auth).json()

    base = f"http://testserver{SEARCH}?per_page=2"
    assert {key: body[key] for key in ("total", "count", "page", "per_page", "total_pages")} == {
        "total": 5,
        "count": 2,
        "page": 2,
        "per_page": 2,
        "total_pages": 3,
    }
    assert [c["customer_id"] for c in body["_embedded"]["contacts"]] == ["c2", "c3"]
    assert body["_links"] == {
        "self": {"href": base + "&page=2"},
        "first": {"href": base + "&page=1"},
        "last": {"href": base + "&page=3"},
        "prev": {"href": base + "&page=1"},
        "next": {"href": base + "&page=3"},
    }


def test_a_page_past_the_end_is_empty(client, read_auth, people):
    body = client.get(SEARCH + "?page=999999", **read_auth).json()

    assert body["count"] == 0
    assert body["_embedded"]["contacts"] == []
    assert body["_links"]["prev"]["href"].endswith("page=1")
    assert "next" not in body["_links"]


def test_an_empty_search_has_zero_pages(client, read_auth, db):
    body = client.get(SEARCH, {"email": "nobody@example.com"}, **read_auth).json()

    assert (body["total"], body["count"], body["total_pages"]) == (0, 0, 0)
    assert body["_links"]["last"]["href"].endswith("page=1")


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"page": "0"}, ["page"]),
        ({"page": "x"}, ["page"]),
        ({"per_page": "0"}, ["per_page"]),
        ({"per_page": "101"}, ["per_page"]),
        ({"matchMode": "partial"}, ["matchMode"]),
        ({"page": ""}, ["page"]),
        ({"per_page": ""}, ["per_page"]),
        ({"matchMode": ""}, ["matchMode"]),
        ({"ids": "bad id"}, ["ids"]),
        ({"ids[]": "bad/id"}, ["ids[]"]),
        (
            {"page": "-1", "per_page": "abc", "matchMode": "FUZZY"},
            ["page", "per_page", "matchMode"],
        ),
    ],
)
def test_bad_search_parameters_are_400s_naming_each(client, read_auth, db, query, names):
    response = client.get(SEARCH, query, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [field["name"] for field in response.json()["fields"]] == names


@pytest.mark.parametrize("count", [1, 40])
def test_search_costs_three_queries_whatever_the_length(
    client, read_auth, make_customer, django_assert_num_queries, count
):
    for n in range(count):
        make_customer(f"c{n}")

    with django_assert_num_queries(3):  # token, count, page
        response = client.get(SEARCH + "?per_page=100", **read_auth)

    assert response.json()["count"] == count


def test_folded_names_follow_renames(db, make_customer):
    customer = make_customer(first_name="Ana")
    customer.first_name = "Inês"
    customer.save(update_fields=["first_name"])

    assert Customer.objects.get(pk=customer.pk).first_name_folded == "ines"
