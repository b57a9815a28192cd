from __future__ import annotations

import json
import threading
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from orders import services
from orders.models import AccessAudit, Address, IdempotencyRecord, Order, StatusEvent
from tests.conftest import READ, WRITE, event

ORDER = "/erc/ecommerce/customers/customer123/orders/order123"
CHANGE = ORDER + "/change-shipping-address"
VISA_TEST_PAN = "4111 1111 1111 1111"
NEW_ADDRESS = {
    "first_name": "Jane",
    "last_name": "Roe",
    "phone_number": "502 555 0100",
    "address": "200 W Main St",
    "zip_code": "40202",
    "city": "Louisville",
    "region_code": "US-KY",
    "country_code": "US",
}


def post_change(client, auth, body=None, *, raw: str | None = None, path=CHANGE, **headers):
    data = raw if raw is not None else json.dumps(NEW_ADDRESS if body is None else body)
    return client.post(path, data=data, content_type="application/json", **auth, **headers)


@pytest.fixture
def write_auth(bearer):
    return bearer(READ, WRITE)


def stored_shipping(order_id: str = "order123") -> dict:
    address = Order.objects.get(external_id=order_id).shipping_address
    return {name: getattr(address, name) for name in NEW_ADDRESS}


def test_a_new_address_is_stored_and_the_order_answered(client, write_auth, make_order):
    make_order(events=[event("CONFIRMED")])

    response = post_change(client, write_auth)

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["shipping_address"] == {
        **NEW_ADDRESS,
        "phone_number": "+15025550100",
        "default": False,
    }
    assert body["is_change_shipping_address_allowed"] is True
    assert body["_links"]["self"]["href"] == "http://testserver" + ORDER
    assert stored_shipping() == {**NEW_ADDRESS, "phone_number": "+15025550100"}


def test_fields_left_out_keep_their_value(client, write_auth, make_order):
    make_order()

    response = post_change(client, write_auth, {"address": "Rua do Ouro 5", "zip_code": None})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["shipping_address"] == {
        "first_name": "John",
        "last_name": "Doe",
        "phone_number": "+351910000000",
        "address": "Rua do Ouro 5",
        "zip_code": "1100-048",
        "city": "Lisbon",
        "region_code": "PT-11",
        "country_code": "PT",
        "default": False,
    }


def test_the_billing_address_and_the_old_address_row_stay_as_they_were(
    client, write_auth, make_order
):
    order = make_order()
    old = order.shipping_address

    post_change(client, write_auth)

    order.refresh_from_db()
    assert order.billing_address_id == old.pk
    assert order.shipping_address_id != old.pk
    old.refresh_from_db()
    assert (old.address, old.city, old.is_default) == ("Rua Augusta 1", "Lisbon", True)


def test_the_stored_document_is_fresh_after_a_change(client, write_auth, make_order, read_auth):
    make_order()

    answered = post_change(client, write_auth).json()

    order = Order.objects.select_related("customer", "shipping_address", "billing_address").get()
    assert order.document == services.render_document(order)
    assert client.get(ORDER, **read_auth).json() == answered


def test_the_change_is_audited_with_the_old_and_new_address(client, write_auth, make_order):
    make_order()

    post_change(client, write_auth, HTTP_X_REQUEST_ID="req-88")

    audit = AccessAudit.objects.get()
    assert (audit.channel, audit.action, audit.order_external_id, audit.request_id) == (
        "api",
        "change_shipping_address",
        "order123",
        "req-88",
    )
    assert audit.actor.startswith("client:")
    assert audit.changes["before"]["address"] == "Rua Augusta 1"
    assert audit.changes["before"]["id"] == "address-order123"
    assert audit.changes["after"]["address"] == "200 W Main St"
    assert audit.changes["after"]["phone_number"] == "+15025550100"


def test_the_timeline_says_the_address_changed_without_the_actor(client, write_auth, make_order):
    make_order(events=[event("CONFIRMED")])

    body = post_change(client, write_auth).json()

    latest = body["order_extra_info"]["latest_status_info"]
    assert (latest["generic_type"], latest["description"]) == (
        "CONFIRMED",
        "Shipping address changed",
    )
    assert StatusEvent.objects.filter(is_local=True).count() == 1
    assert "client:" not in json.dumps(body)


def test_sending_the_current_address_changes_nothing(client, write_auth, make_order):
    make_order()

    response = post_change(client, write_auth, {"city": "Lisbon"})

    assert response.status_code == HTTPStatus.OK
    assert not AccessAudit.objects.exists()
    assert not StatusEvent.objects.exists()
    assert Address.objects.count() == 1


def test_a_read_only_token_is_403(client, read_auth, make_order):
    make_order()

    response = post_change(client, read_auth)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="erc-ecommerce-customers:write"'
    )
    assert stored_shipping()["city"] == "Lisbon"


def test_no_token_is_401(client, make_order):
    make_order()

    assert post_change(client, {}).status_code == HTTPStatus.UNAUTHORIZED


def test_get_is_405(client, write_auth, make_order):
    make_order()

    response = client.get(CHANGE, **write_auth)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert "POST" in response["Allow"]


def test_a_trailing_slash_is_served_the_same(client, write_auth, make_order):
    make_order()

    assert post_change(client, write_auth, path=CHANGE + "/").status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("setup", "description"),
    [
        ({"cancellation_status": "CANCELED"}, "canceled"),
        ({"delivery_type": "LOCAL_PICKUP"}, "picked up in store"),
        ({"events": [event("CONFIRMED"), event("ON_ITS_WAY", day=15)]}, "left the warehouse"),
    ],
)
def test_an_order_that_may_not_be_redirected_is_422_and_nothing_changes(
    client, write_auth, make_order, setup, description
):
    make_order(**setup)

    response = post_change(client, write_auth)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    body = response.json()
    assert (body["code"], body["fields"]) == ("shipping_address_not_changeable", [])
    assert description in body["description"]
    assert stored_shipping()["city"] == "Lisbon"
    assert Address.objects.count() == 1
    assert not AccessAudit.objects.exists()


def test_an_order_with_a_parcel_is_422(client, write_auth, make_order, make_shipment):
    order = make_order(items=[{"name": "Shoe", "quantity": 1, "price": "10.50"}])
    make_shipment(order, lines=[(order.items.get(), 1)])

    response = post_change(client, write_auth)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "shipping_address_not_changeable"


@pytest.mark.parametrize(
    ("changes", "field", "description"),
    [
        ({"country_code": "XX"}, "country_code", "Must be an ISO 3166-1 alpha-2 code such as PT."),
        ({"country_code": "pt"}, "country_code", "Must be an ISO 3166-1 alpha-2 code such as PT."),
        ({"region_code": "PT-99"}, "region_code", "Must be an ISO 3166-2 code such as PT-11."),
        ({"region_code": "US-KY"}, "region_code", "Must be a region of country_code."),
        (
            {"phone_number": "12"},
            "phone_number",
            "Must be a phone number in international form such as +351910000000.",
        ),
        (
            {"zip_code": "11000"},
            "zip_code",
            "Must be a postal code of Portugal such as 2725-079.",
        ),
        (
            {"address": f"Card {VISA_TEST_PAN}"},
            "address",
            "Looks like a full payment card number; only the last four digits may be stored.",
        ),
        (
            {"first_name": VISA_TEST_PAN},
            "first_name",
            "Looks like a full payment card number; only the last four digits may be stored.",
        ),
        ({"city": "x" * 129}, "city", "Must be at most 128 characters."),
        ({"last_name": "Do\x00e"}, "last_name", "Must not contain NUL characters."),
        ({"address": ""}, "address", "This field is required."),
        ({"country_code": ""}, "country_code", "This field is required."),
        ({"city": 5}, "city", "Must be a string."),
        ({"floor": "2"}, "floor", "Unknown field; this operation does not act on it."),
    ],
)
def test_a_bad_field_is_400_naming_it_and_nothing_is_saved(
    client, write_auth, make_order, changes, field, description
):
    make_order()

    response = post_change(client, write_auth, changes)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "invalid_parameter"
    assert body["fields"] == [{"name": field, "description": description}]
    assert "4111" not in response.content.decode()
    assert stored_shipping()["city"] == "Lisbon"
    assert Address.objects.count() == 1
    assert not AccessAudit.objects.exists()
    assert not StatusEvent.objects.exists()


def test_every_bad_field_is_named(client, write_auth, make_order):
    make_order()

    response = post_change(
        client, write_auth, {"country_code": "US", "region_code": "PT-11", "zip_code": "1100-048"}
    )

    assert [field["name"] for field in response.json()["fields"]] == ["zip_code", "region_code"]


def test_a_region_of_another_country_is_refused_when_only_the_country_changes(
    client, write_auth, make_order
):
    make_order()

    response = post_change(client, write_auth, {"country_code": "ES", "zip_code": "28001"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == [
        {"name": "region_code", "description": "Must be a region of country_code."}
    ]


@pytest.mark.parametrize("raw", ["[]", '"PT"', "not json"])
def test_a_body_that_is_no_json_object_is_400(client, write_auth, make_order, raw):
    make_order()

    response = post_change(client, write_auth, raw=raw)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"][0]["name"] == "body"


def test_a_national_phone_is_read_in_the_new_country(client, write_auth, make_order):
    make_order()

    body = post_change(client, write_auth, {"phone_number": "912 345 678"}).json()

    assert body["shipping_address"]["phone_number"] == "+351912345678"


def test_a_postal_code_is_stored_in_its_countrys_form(client, write_auth, make_order):
    make_order()

    body = post_change(
        client,
        write_auth,
        {"country_code": "GB", "region_code": "GB-LND", "zip_code": "ec1y 8sy"},
    ).json()

    assert body["shipping_address"]["zip_code"] == "EC1Y 8SY"


def test_another_customers_order_is_404(client, write_auth, make_order, make_customer):
    make_order(customer=make_customer("someone-else"))
    make_customer("customer123")

    response = post_change(client, write_auth)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"
    assert not AccessAudit.objects.exists()


def test_the_brand_filter_applies(client, write_auth, make_order):
    make_order(brand="acme")

    response = post_change(client, write_auth, path=CHANGE + "?brand=other")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert stored_shipping()["city"] == "Lisbon"


def test_a_client_limited_to_other_brands_cannot_change_it(
    client, write_auth, make_order, api_application
):
    make_order(brand="acme")
    services.client_brands_set(application=api_application, brands=["other"])

    response = post_change(client, write_auth)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert stored_shipping()["city"] == "Lisbon"


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(
    client, write_auth, make_order
):
    make_order()

    first = post_change(client, write_auth, HTTP_IDEMPOTENCY_KEY="move-1")
    second = post_change(client, write_auth, HTTP_IDEMPOTENCY_KEY="move-1")

    assert (first.status_code, second.status_code) == (HTTPStatus.OK, HTTPStatus.OK)
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert AccessAudit.objects.count() == 1
    assert StatusEvent.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(client, write_auth, make_order):
    make_order()
    post_change(client, write_auth, HTTP_IDEMPOTENCY_KEY="move-1")

    response = post_change(client, write_auth, {"city": "Lexington"}, HTTP_IDEMPOTENCY_KEY="move-1")

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "idempotency_key_reused"
    assert stored_shipping()["city"] == "Louisville"


def test_a_cancel_key_reused_for_a_change_is_422(client, write_auth, make_order):
    make_order()
    client.post(
        ORDER + "/cancel",
        data="{}",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
        **write_auth,
    )

    response = post_change(client, write_auth, HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.json()["code"] == "idempotency_key_reused"


def test_a_keyed_refusal_is_replayed(client, write_auth, make_order):
    make_order(cancellation_status="CANCELED")

    first = post_change(client, write_auth, HTTP_IDEMPOTENCY_KEY="move-1")
    second = post_change(client, write_auth, HTTP_IDEMPOTENCY_KEY="move-1")

    assert first.status_code == second.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert second.content == first.content


def test_a_keyed_400_leaves_the_key_free(client, write_auth, make_order):
    make_order()

    bad = post_change(client, write_auth, {"country_code": "XX"}, HTTP_IDEMPOTENCY_KEY="move-1")

    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert not IdempotencyRecord.objects.exists()
    good = post_change(client, write_auth, {"city": "Porto"}, HTTP_IDEMPOTENCY_KEY="move-1")
    assert good.status_code == HTTPStatus.OK


# --- races: a conditional write decides ---------------------------------------------------


def test_a_change_made_from_a_stale_order_after_a_cancel_is_refused(make_order):
    stale = make_order()
    services.order_cancel(
        order=Order.objects.select_related("customer").get(),
        reason="OTHER",
        actor="agent:x",
        channel="console",
    )

    with pytest.raises(services.ShippingAddressNotChangeable):
        services.order_change_shipping_address(
            order=stale, changes={"city": "Porto"}, actor="agent:y", channel="console"
        )

    assert stored_shipping()["city"] == "Lisbon"
    assert Address.objects.count() == 1


def test_a_change_made_from_a_stale_order_after_a_shipment_is_refused(make_order, make_shipment):
    order = make_order(items=[{"name": "Shoe", "quantity": 1, "price": "10.50"}])
    stale = Order.objects.select_related("customer", "shipping_address").get(pk=order.pk)
    make_shipment(order, lines=[(order.items.get(), 1)])

    with pytest.raises(services.ShippingAddressNotChangeable):
        services.order_change_shipping_address(
            order=stale, changes={"city": "Porto"}, actor="agent:y", channel="console"
        )

    assert stored_shipping()["city"] == "Lisbon"


def test_a_change_made_from_a_stale_order_builds_on_the_latest_address(make_order):
    stale = make_order()
    services.order_change_shipping_address(
        order=Order.objects.select_related("customer").get(),
        changes={"city": "Porto", "region_code": "PT-13", "zip_code": "4000-322"},
        actor="agent:x",
        channel="console",
    )

    services.order_change_shipping_address(
        order=stale, changes={"address": "Rua de Santa Catarina 1"}, actor="agent:y", channel="api"
    )

    stored = stored_shipping()
    assert (stored["address"], stored["city"]) == ("Rua de Santa Catarina 1", "Porto")
    first, second = AccessAudit.objects.order_by("id")
    assert second.changes["before"] == first.changes["after"]


def _race(*requests) -> list[int]:
    barrier = threading.Barrier(len(requests))
    statuses: dict[int, int] = {}

    def run(index: int, send) -> None:
        barrier.wait()
        statuses[index] = send(Client()).status_code
        connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [statuses[index] for index in range(len(requests))]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_changes_both_apply_one_after_the_other(bearer, make_order):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with real concurrent transactions (CI's PostgreSQL)")
    make_order()
    auth = bearer(READ, WRITE)

    statuses = _race(
        lambda c: post_change(c, auth, {"city": "Porto", "region_code": "PT-13"}),
        lambda c: post_change(c, auth, {"phone_number": "+351912345678"}),
    )

    assert statuses == [HTTPStatus.OK, HTTPStatus.OK]
    stored = stored_shipping()
    assert (stored["city"], stored["phone_number"]) == ("Porto", "+351912345678")
    first, second = AccessAudit.objects.order_by("id")
    assert second.changes["before"] == first.changes["after"]


@pytest.mark.django_db(transaction=True)
def test_a_change_racing_a_cancel_ends_consistently(bearer, make_order):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with real concurrent transactions (CI's PostgreSQL)")
    make_order()
    auth = bearer(READ, WRITE)

    change, cancel = _race(
        lambda c: post_change(c, auth),
        lambda c: c.post(ORDER + "/cancel", data="{}", content_type="application/json", **auth),
    )

    assert cancel == HTTPStatus.OK
    order = Order.objects.get()
    assert order.cancellation_status == "CANCELED"
    changed = AccessAudit.objects.filter(action="change_shipping_address").exists()
    if change == HTTPStatus.OK:
        assert changed
        assert order.shipping_address.city == "Louisville"
    else:
        assert change == HTTPStatus.UNPROCESSABLE_ENTITY
        assert not changed
        assert order.shipping_address.city == "Lisbon"


# --- import: the source's view of the order does not undo the change ----------------------


def test_a_reimport_of_the_sources_document_keeps_the_new_address(client, write_auth, make_order):
    make_order(events=[event("CONFIRMED")])
    [document] = services.orders_export(orders=Order.objects.all())
    post_change(client, write_auth)

    result = services.orders_import(documents=[document])

    assert result.rejected == 0
    assert stored_shipping()["city"] == "Louisville"
    order = Order.objects.select_related("customer", "shipping_address", "billing_address").get()
    assert order.status_events.filter(description="Shipping address changed").count() == 1
    assert order.document == services.render_document(order)
    assert services.orders_import(documents=[document]).unchanged == 1


@pytest.mark.parametrize(
    ("changes", "field", "description"),
    [
        ({"zip_code": "11000"}, "zip_code", "Must be a postal code of Portugal such as 2725-079."),
        ({"region_code": "US-KY"}, "region_code", "Must be a region of country_code."),
        (
            {"phone_number": "12"},
            "phone_number",
            "Must be a phone number in international form such as +351910000000.",
        ),
        ({"country_code": "XX"}, "country_code", "Must be an ISO 3166-1 alpha-2 code such as PT."),
        (
            {"city": VISA_TEST_PAN},
            "city",
            "Looks like a full payment card number; only the last four digits may be stored.",
        ),
    ],
)
def test_import_applies_the_same_address_rules(make_order, changes, field, description):
    make_order()
    [document] = services.orders_export(orders=Order.objects.all())
    document["id"] = "order-imported"
    document["order_number"] = "#IMPORTED"
    document["shipping_address"] = {**document["shipping_address"], **changes}
    del document["shipping_address"]["id"]

    result = services.orders_import(documents=[document])

    assert result.rejected == 1
    assert [(e.field, e.description) for e in result.errors] == [
        (f"shipping_address.{field}", description)
    ]
    assert not Order.objects.filter(external_id="order-imported").exists()
