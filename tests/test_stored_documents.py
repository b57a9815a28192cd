"""The API serves each order's stored document: every write path must leave it fresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus

from orders import services
from orders.models import Address, Order
from tests.test_admin_orders import order_data

ORDER_ADMIN = "/admin/orders/order/"
API_ORDER = "/erc/ecommerce/customers/customer123/orders/order123"
CONFIRMED = {
    "generic_type": "CONFIRMED",
    "detailed_type": "CONFIRMED",
    "status_date_time": datetime(2021, 9, 14, 13, 0, tzinfo=UTC),
}


def assert_every_document_fresh() -> None:
    orders = Order.objects.select_related("customer", "shipping_address", "billing_address")
    assert orders.exists()
    for order in orders:
        assert json.loads(order.document) == json.loads(services.render_document(order)), (
            order.external_id
        )


def document(order: Order) -> dict:
    return json.loads(Order.objects.get(pk=order.pk).document)


def import_document(order_id: str, city: str) -> dict:
    return {
        "id": order_id,
        "order_number": f"#{order_id.upper()}",
        "customer_id": "customer123",
        "shipping_address": {"id": "home", "city": city, "country_code": "PT"},
        "items": [],
        "status_history": [],
    }


def test_import_creates_and_updates_fresh_documents(db):
    services.orders_import(documents=[import_document("a", "Lisbon")])
    services.orders_import(documents=[import_document("a", "Lisbon"), import_document("b", "Faro")])

    assert_every_document_fresh()


def test_an_import_that_edits_a_shared_address_refreshes_the_other_orders_too(db):
    services.orders_import(documents=[import_document("a", "Lisbon")])

    services.orders_import(documents=[import_document("b", "Porto")])

    assert document(Order.objects.get(external_id="a"))["shipping_address"]["city"] == "Porto"
    assert_every_document_fresh()


def test_adding_an_order_in_the_admin_stores_a_fresh_document(admin_client, make_customer):
    customer = make_customer()
    address = Address.objects.create(customer=customer, external_id="home", city="Lisbon")

    response = admin_client.post(ORDER_ADMIN + "add/", order_data(customer, address))

    assert response.status_code == HTTPStatus.FOUND
    assert_every_document_fresh()


def test_editing_an_order_in_the_admin_stores_a_fresh_document(admin_client, make_order):
    order = make_order(events=[CONFIRMED])
    data = order_data(
        order.customer,
        order.shipping_address,
        external_id="order123",
        delivery_type="LOCAL_PICKUP",
        original_total_amount="10.50",
        final_total_amount="10.50",
        **{"items-TOTAL_FORMS": "0", "status_events-TOTAL_FORMS": "0"},
    )

    response = admin_client.post(f"{ORDER_ADMIN}{order.pk}/change/", data)

    assert response.status_code == HTTPStatus.FOUND
    assert document(order)["delivery_type"] == "LOCAL_PICKUP"
    assert_every_document_fresh()


def test_editing_an_address_in_the_admin_refreshes_the_orders_that_embed_it(
    admin_client, make_order
):
    order = make_order()
    address = order.shipping_address
    data = {
        "customer": address.customer_id,
        "external_id": address.external_id,
        "is_default": "on",
        "first_name": "John",
        "last_name": "Doe",
        "phone_number": "+351910000000",
        "address": "Rua Augusta 1",
        "zip_code": "4000-001",
        "city": "Porto",
        "region_code": "PT-13",
        "country_code": "PT",
    }

    response = admin_client.post(f"/admin/orders/address/{address.pk}/change/", data)

    assert response.status_code == HTTPStatus.FOUND
    assert document(order)["billing_address"]["city"] == "Porto"
    assert_every_document_fresh()


def test_deleting_an_address_in_the_admin_refreshes_the_orders_that_embedded_it(
    admin_client, make_order
):
    order = make_order()
    address = order.shipping_address

    response = admin_client.post(f"/admin/orders/address/{address.pk}/delete/", {"post": "yes"})

    assert response.status_code == HTTPStatus.FOUND
    assert "shipping_address" not in document(order)
    assert_every_document_fresh()


def test_cancelling_in_the_admin_stores_a_fresh_document(admin_client, make_order):
    order = make_order(events=[CONFIRMED])

    admin_client.post(
        ORDER_ADMIN,
        {"action": "cancel_orders", "_selected_action": [order.pk], "cancel_reason": "OTHER"},
    )

    assert document(order)["cancellation_status"] == "CANCELED"
    assert_every_document_fresh()


def test_cancelling_through_the_api_stores_a_fresh_document(client, bearer, make_order):
    order = make_order(events=[CONFIRMED])
    auth = bearer("erc-ecommerce-customers:read", "erc-ecommerce-customers:write")

    response = client.post(
        API_ORDER + "/cancel",
        data={"cancel_reason": "CUSTOMER_REQUEST"},
        content_type="application/json",
        **auth,
    )

    assert response.status_code == HTTPStatus.OK
    assert document(order)["cancellation_status"] == "CANCELED"
    assert_every_document_fresh()


def test_cancelling_in_the_console_stores_a_fresh_document(supervisor_client, make_order):
    order = make_order(events=[CONFIRMED])

    response = supervisor_client.post(
        "/agent/customers/customer123/orders/order123/cancel", {"reason": "CUSTOMER_REQUEST"}
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert document(order)["cancellation_status"] == "CANCELED"
    assert_every_document_fresh()


def test_a_direct_database_edit_is_served_once_refresh_documents_has_run(
    client, read_auth, make_order, run_command
):
    order = make_order()
    Order.objects.filter(pk=order.pk).update(delivery_type="LOCAL_PICKUP")
    assert client.get(API_ORDER, **read_auth).json()["delivery_type"] == "SHIPPING"

    code, out, _ = run_command("refresh_documents")

    assert (code, out.strip()) == (0, "Refreshed 1 orders.")
    assert client.get(API_ORDER, **read_auth).json()["delivery_type"] == "LOCAL_PICKUP"


def test_refresh_documents_refuses_an_unknown_customer(run_command):
    code, _, err = run_command("refresh_documents", "--customer", "nobody")

    assert code == 1
    assert "No customer with this id." in err


def test_a_customer_id_changed_by_hand_moves_the_order_url_after_a_refresh(
    client, read_auth, make_order, run_command
):
    order = make_order()
    order.customer.external_id = "customer999"
    order.customer.save()

    run_command("refresh_documents", "--customer", "customer999")

    moved = client.get(API_ORDER.replace("customer123", "customer999"), **read_auth)
    assert moved.json()["customer_id"] == "customer999"
    assert client.get(API_ORDER, **read_auth).status_code == HTTPStatus.NOT_FOUND
