from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest

from orders import services
from tests.test_api_lists import query_of, walk

CUSTOMER = "/erc/ecommerce/customers/customer123"
SHIPMENTS = CUSTOMER + "/shipments"
ORDER = CUSTOMER + "/orders/order123"
T0 = datetime(2021, 10, 23, 12, tzinfo=UTC)
UPS_URL = "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z999AA10123456784"


@pytest.fixture
def order(make_order):
    return make_order(
        brand="acme",
        items=[
            {"name": "Shirt", "sku": "TS-1", "quantity": 2, "price": Decimal("10.50")},
            {"name": "Hat", "sku": "H-1", "quantity": 1, "price": Decimal("5")},
        ],
    )


@pytest.fixture
def parcel(order, make_shipment):
    shirt = order.items.get(sku="TS-1")
    return make_shipment(
        order,
        lines=[(shirt, 1)],
        delivery_date_start=T0 + timedelta(days=2),
        delivery_date_end=T0 + timedelta(days=3),
        events=[
            {"detailed_type": "IN_TRANSIT", "status_date_time": T0, "location": "Lisbon hub"},
            {
                "detailed_type": "ATTEMPTED_DELIVERY",
                "status_date_time": T0 + timedelta(days=2),
                "description": "Nobody at home",
                "location": "Porto",
            },
        ],
    )


def test_it_lists_a_customers_parcels_in_talkdesks_shipment_shape(client, read_auth, parcel):
    body = client.get(SHIPMENTS, **read_auth).json()

    assert body == {
        "_embedded": {
            "shipments": [
                {
                    "id": "order123-p1",
                    "brand": "acme",
                    "customer_id": "customer123",
                    "order_id": "order123",
                    "shipping_provider": "UPS",
                    "tracking_info": {
                        "tracking_number": "1Z999AA10123456784",
                        "tracking_carrier": "UPS",
                        "external_url": UPS_URL,
                    },
                    "latest_status_info": {
                        "type": "ATTEMPTED_DELIVERY",
                        "status_date_time": "2021-10-25T12:00:00.000Z",
                        "description": "Nobody at home",
                        "location": "Porto",
                    },
                    "service_level": "UPS Standard",
                    "shipping_date": "2021-10-23T12:00:00.000Z",
                    "delivery_date_start": "2021-10-25T12:00:00.000Z",
                    "delivery_date_end": "2021-10-26T12:00:00.000Z",
                    "created_time": body["_embedded"]["shipments"][0]["created_time"],
                    "last_updated": body["_embedded"]["shipments"][0]["last_updated"],
                    "shipping_address": {
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
                    },
                    "items": [
                        {
                            "id": "item0",
                            "name": "Shirt",
                            "sku": "TS-1",
                            "quantity": 1,
                            "price": {"value": 10.5, "currency": "EUR"},
                        }
                    ],
                }
            ]
        },
        "_links": {"self": {"href": "http://testserver" + SHIPMENTS}},
    }
    first = body["_embedded"]["shipments"][0]
    assert first["created_time"].endswith("Z")
    assert first["last_updated"].endswith("Z")


def test_a_stored_tracking_url_wins_over_the_carrier_data_set(
    client, read_auth, order, make_shipment
):
    make_shipment(order, tracking_url="https://shop.example.com/track/abc")

    tracking = client.get(SHIPMENTS, **read_auth).json()["_embedded"]["shipments"][0]

    assert tracking["tracking_info"]["external_url"] == "https://shop.example.com/track/abc"


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("Yamato", "123456789012"),  # not in the carrier data set
        ("UPS", "1Z999AA10123456785"),  # wrong check digit
        ("FedEx", "1Z999AA10123456784"),  # a UPS number under another carrier
        ("", "1Z999AA10123456784"),  # no carrier: never guessed from the number
    ],
)
def test_no_link_is_made_up_when_the_carrier_data_set_cannot_say(
    client, read_auth, order, make_shipment, carrier, number
):
    make_shipment(order, carrier=carrier, tracking_number=number)

    shipment = client.get(SHIPMENTS, **read_auth).json()["_embedded"]["shipments"][0]

    assert shipment["tracking_info"] == {"tracking_number": number, "tracking_carrier": carrier}
    assert shipment["shipping_provider"] == carrier


def test_a_parcel_without_events_is_unknown_since_it_shipped(
    client, read_auth, order, make_shipment
):
    make_shipment(order)

    shipment = client.get(SHIPMENTS, **read_auth).json()["_embedded"]["shipments"][0]

    assert shipment["latest_status_info"] == {
        "type": "UNKNOWN",
        "status_date_time": "2021-10-23T12:00:00.000Z",
    }


def test_the_dhl_link_from_the_data_set_is_served_over_https(
    client, read_auth, order, make_shipment
):
    make_shipment(order, carrier="DHL", tracking_number="1234567891")

    tracking = client.get(SHIPMENTS, **read_auth).json()["_embedded"]["shipments"][0]

    assert tracking["tracking_info"]["external_url"] == (
        "https://www.dhl.com/en/express/tracking.html?brand=DHL&AWB=1234567891"
    )


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def parcels(make_order, make_customer, make_shipment):
    """Three orders of customer123 with parcels in different states, and one of another."""
    first = make_order("order-a", brand="acme")
    second = make_order("order-b")
    third = make_order("order-c")
    make_shipment(
        first, carrier="UPS", events=[{"detailed_type": "DELIVERED", "status_date_time": T0}]
    )
    make_shipment(
        second,
        carrier="CTT",
        tracking_number="RR123456785PT",
        shipping_date=T0 + timedelta(1),
        events=[{"detailed_type": "IN_TRANSIT", "status_date_time": T0}],
    )
    make_shipment(third, carrier="DHL", tracking_number="1234567891", shipping_date=None)
    make_shipment(make_order("order-x", customer=make_customer("someone")), carrier="UPS")
    return first, second, third


def ids(client, auth, query: str) -> list[str]:
    response = client.get(SHIPMENTS + query, **auth)
    assert response.status_code == HTTPStatus.OK, response.content
    return [shipment["order_id"] for shipment in response.json()["_embedded"]["shipments"]]


def test_the_most_recently_shipped_come_first_and_undated_last(client, read_auth, parcels):
    assert ids(client, read_auth, "") == ["order-b", "order-a", "order-c"]
    assert ids(client, read_auth, "?order_by=shipping_date:asc") == [
        "order-c",
        "order-a",
        "order-b",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?order_id=order-a", ["order-a"]),
        ("?order_ids=order-a,order-c", ["order-a", "order-c"]),
        ("?order_ids=order-a&order_ids=order-b", ["order-b", "order-a"]),
        ("?order_ids[]=order-c", ["order-c"]),
        ("?order_id=order-a&order_ids=order-b", []),
        ("?order_id=order-x", []),  # another customer's order
        ("?tracking_number=rr 123 456 785 pt", ["order-b"]),
        ("?shipping_provider=ctt", ["order-b"]),
        ("?delivery_statuses=DELIVERED,IN_TRANSIT", ["order-b", "order-a"]),
        ("?delivery_statuses=UNKNOWN", ["order-c"]),
        ("?brand=acme", ["order-a"]),
        ("?brand=", ["order-b", "order-a", "order-c"]),
    ],
)
def test_filters(client, read_auth, parcels, query, expected):
    assert ids(client, read_auth, query) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?delivery_statuses=LOST", "delivery_statuses"),
        ("?order_id=a%20b", "order_id"),
        ("?order_ids=a,b%20c", "order_ids"),
        ("?order_by=purchase_datetime:desc", "order_by"),
        ("?limit=0", "limit"),
        ("?cursor=forged", "cursor"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client, read_auth, parcels, query, field):
    response = client.get(SHIPMENTS + query, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [f["name"] for f in response.json()["fields"]] == [field]


def test_every_bad_parameter_is_named_at_once(client, read_auth, parcels):
    response = client.get(SHIPMENTS + "?limit=0&delivery_statuses=LOST", **read_auth)

    assert [f["name"] for f in response.json()["fields"]] == ["limit", "delivery_statuses"]


def test_an_unknown_customer_is_not_found(client, read_auth, db):
    response = client.get("/erc/ecommerce/customers/nobody/shipments", **read_auth)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_it_needs_a_token(client, parcels):
    response = client.get(SHIPMENTS)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_pages_follow_next_links_and_keep_the_filters(client, read_auth, order, make_shipment):
    for n in range(5):
        make_shipment(order, shipping_date=T0 + timedelta(hours=n))

    first = client.get(SHIPMENTS + "?limit=2&order_ids=order123&order_ids=nope", **read_auth).json()
    seen, pages = walk(client, read_auth, "http://testserver" + SHIPMENTS + "?limit=2")

    assert query_of(first["_links"]["next"]["href"])["order_ids"] == ["order123,nope"]
    assert seen == [f"order123-p{n}" for n in range(5, 0, -1)]
    assert pages == 3


@pytest.mark.parametrize("count", [1, 20])
def test_a_page_costs_the_same_queries_whatever_its_length(
    client, read_auth, order, make_shipment, django_assert_num_queries, count
):
    for _ in range(count):
        make_shipment(order, lines=[(item, 1) for item in order.items.all()][:1])

    # Token, customer exists, parcels with order, customer and address, their lines.
    with django_assert_num_queries(4):
        response = client.get(SHIPMENTS + "?limit=100", **read_auth)

    assert len(response.json()["_embedded"]["shipments"]) == count


# --- the order shapes ------------------------------------------------------------------------


def test_the_order_read_carries_fulfillment_and_delivery_status(client, read_auth, parcel):
    body = client.get(ORDER, **read_auth).json()

    assert (body["fulfillment_status"], body["delivery_status"]) == (
        "PARTIALLY_FULFILLED",
        "ATTEMPTED_DELIVERY",
    )


def test_the_order_read_stays_one_query_with_parcels(
    client, read_auth, parcel, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = client.get(ORDER, **read_auth)

    assert response.json()["delivery_status"] == "ATTEMPTED_DELIVERY"


def test_order_lists_carry_fulfillment_status(client, read_auth, parcel):
    listed = client.get(CUSTOMER + "/orders", **read_auth).json()["_embedded"]["orders"][0]

    assert listed["fulfillment_status"] == "PARTIALLY_FULFILLED"


def test_a_cancel_answer_carries_fulfillment_status(client, bearer, order):
    from django.conf import settings

    response = client.post(
        ORDER + "/cancel",
        data={"cancel_reason": "OTHER"},
        content_type="application/json",
        **bearer(settings.SCOPE_READ, settings.SCOPE_WRITE),
    )

    assert response.json()["fulfillment_status"] == "UNFULFILLED"


def test_items_list_their_deliveries_and_what_is_left_to_ship(client, read_auth, parcel):
    items = client.get(ORDER + "/items", **read_auth).json()["_embedded"]["items"]

    assert [(i["id"], i["deliverable_quantity"]) for i in items] == [("item0", 1), ("item1", 1)]
    assert items[1]["deliveries"] == []
    assert items[0]["deliveries"] == [
        {
            "id": "order123-p1",
            "delivery_quantity": 1,
            "carrier": "UPS",
            "shipping_date": "2021-10-23T12:00:00.000Z",
            "delivery_date_start": "2021-10-25T12:00:00.000Z",
            "delivery_date_end": "2021-10-26T12:00:00.000Z",
            "service_level": "UPS Standard",
            "latest_status_info": {
                "type": "ATTEMPTED_DELIVERY",
                "status_date_time": "2021-10-25T12:00:00.000Z",
            },
            "tracking_info": {"tracking_number": "1Z999AA10123456784", "external_url": UPS_URL},
            "last_update": items[0]["deliveries"][0]["last_update"],
        }
    ]


def test_most_recent_order_has_the_latest_parcels_tracking_info(
    client, read_auth, order, make_shipment
):
    make_shipment(order, shipping_date=T0)
    make_shipment(
        order, carrier="CTT", tracking_number="RR123456785PT", shipping_date=T0 + timedelta(1)
    )

    body = client.get(CUSTOMER + "/most-recent-order", **read_auth).json()

    assert body["tracking_info"] == {"tracking_number": "RR123456785PT", "tracking_carrier": "CTT"}


def test_most_recent_order_without_parcels_has_no_tracking_info(client, read_auth, order):
    body = client.get(CUSTOMER + "/most-recent-order", **read_auth).json()

    assert "tracking_info" not in body


def test_a_new_parcel_event_reaches_the_stored_order_document(client, read_auth, parcel):
    parcel.events.create(detailed_type="DELIVERED", status_date_time=T0 + timedelta(days=4))
    services.order_refresh(order=parcel.order)

    assert client.get(ORDER, **read_auth).json()["delivery_status"] == "DELIVERED"


# --- the items list's delivery filters -----------------------------------------------------


@pytest.fixture
def two_parcels(order, make_shipment):
    shirt, hat = order.items.order_by("position")
    make_shipment(
        order,
        lines=[(shirt, 1)],
        shipping_date=T0,
        delivery_date_start=T0 + timedelta(days=2),
        delivery_date_end=T0 + timedelta(days=3),
    )
    make_shipment(
        order,
        carrier="CTT",
        tracking_number="RR123456785PT",
        lines=[(hat, 1)],
        shipping_date=T0 + timedelta(days=1),
        delivery_date_start=T0 + timedelta(days=4),
        delivery_date_end=T0 + timedelta(days=5),
    )


def item_ids(client, auth, query: str) -> list[str]:
    response = client.get(ORDER + "/items" + query, **auth)
    assert response.status_code == HTTPStatus.OK, response.content
    return [item["id"] for item in response.json()["_embedded"]["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["item0", "item1"]),
        ("?carrier=ctt", ["item1"]),
        ("?carrier=DHL", []),
        ("?shipping_date=2021-10-23", ["item0"]),
        ("?shipping_date=2021-10-24T23:00:00Z", ["item1"]),
        ("?delivery_date_start=2021-10-27", ["item1"]),
        ("?delivery_date_end=2021-10-26T12:00:00.000Z", ["item0"]),
        ("?carrier=UPS&shipping_date=2021-10-24", []),
        ("?delivery_type=SHIPPING", ["item0", "item1"]),
        ("?delivery_type=LOCAL_PICKUP", []),
        ("?carrier=", ["item0", "item1"]),
    ],
)
def test_item_delivery_filters(client, read_auth, two_parcels, query, expected):
    assert item_ids(client, read_auth, query) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?shipping_date=yesterday", "shipping_date"),
        ("?delivery_date_start=2021-13-01", "delivery_date_start"),
        ("?delivery_type=DRONE", "delivery_type"),
    ],
)
def test_bad_item_delivery_filters_are_a_400(client, read_auth, two_parcels, query, field):
    response = client.get(ORDER + "/items" + query, **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [f["name"] for f in response.json()["fields"]] == [field]


def test_item_pages_keep_the_delivery_filters(client, read_auth, two_parcels):
    body = client.get(ORDER + "/items?limit=1&carrier=UPS", **read_auth).json()

    assert query_of(body["_links"]["self"]["href"])["carrier"] == ["UPS"]


def test_an_order_with_a_parcel_on_its_way_cannot_be_canceled(client, bearer, parcel):
    from django.conf import settings

    auth = bearer(settings.SCOPE_READ, settings.SCOPE_WRITE)

    preview = client.get(ORDER + "/cancel-preview", **auth).json()
    response = client.post(
        ORDER + "/cancel", data={"cancel_reason": "OTHER"}, content_type="application/json", **auth
    )

    assert preview["is_cancellable"] is False
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "order_not_cancellable"
