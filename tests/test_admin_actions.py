from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from orders import services
from orders.models import AccessAudit, Order

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

CHANGELIST = reverse("admin:orders_order_changelist")
CONFIRMED = {
    "generic_type": "CONFIRMED",
    "detailed_type": "CONFIRMED",
    "status_date_time": datetime(2021, 9, 14, 13, 0, tzinfo=UTC),
}
SHIPPED = {
    "generic_type": "ON_ITS_WAY",
    "detailed_type": "IN_TRANSIT",
    "status_date_time": datetime(2021, 9, 15, 9, 0, tzinfo=UTC),
}


def run_action(client, action: str, orders: list[Order], **extra):
    data = {"action": action, "_selected_action": [order.pk for order in orders], **extra}
    return client.post(CHANGELIST, data)


def notices(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def jsonl(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


# --- Export ---------------------------------------------------------------------------------


def test_export_downloads_the_selected_orders_as_json_lines_documents(admin_client, make_order):
    order = make_order(
        "order123",
        items=[
            {
                "name": "Mug",
                "quantity": 2,
                "price": Decimal("10.50"),
                "image_url": "https://img.example.com/mug.png",
            }
        ],
        events=[CONFIRMED],
    )
    make_order("not-selected")

    response = run_action(admin_client, "export_jsonl", [order])

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    assert jsonl(response) == [
        {
            "id": "order123",
            "order_number": "#ORDER123",
            "customer_id": "customer123",
            "purchase_datetime": "2021-09-14T12:16:50.078Z",
            "delivery_type": "SHIPPING",
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
            "billing_address": {
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
            "price_summary": {
                "original_total_amount": {"value": 10.5, "currency": "EUR"},
                "discounts_amount": {"value": 0, "currency": "EUR"},
                "shipping_amount": {"value": 0, "currency": "EUR"},
                "taxes_amount": {"value": 0, "currency": "EUR"},
                "final_total_amount": {"value": 10.5, "currency": "EUR"},
            },
            "payment_details": {
                "card_brand": "Visa",
                "card_number": "**** **** **** 4567",
                "is_refunded": False,
            },
            "customer": {
                "id": "customer123",
                "first_name": "John",
                "last_name": "Doe",
                "email": "customer123@example.com",
                "phone_number": "+351910000000",
            },
            "items": [
                {
                    "id": "item0",
                    "name": "Mug",
                    "quantity": 2,
                    "price": {"value": 10.5, "currency": "EUR"},
                    "image_url": "https://img.example.com/mug.png",
                }
            ],
            "status_history": [
                {
                    "generic_type": "CONFIRMED",
                    "detailed_type": "CONFIRMED",
                    "status_date_time": "2021-09-14T13:00:00.000Z",
                }
            ],
        }
    ]


def test_export_writes_money_as_exact_json_numbers(admin_client, make_order):
    order = make_order(
        currency="JPY",
        original_total_amount=Decimal("1000"),
        final_total_amount=Decimal("1000"),
        discounts_amount=None,
        shipping_amount=None,
        taxes_amount=None,
    )

    response = run_action(admin_client, "export_jsonl", [order])

    line = b"".join(response.streaming_content)
    assert b'"original_total_amount":{"value":1000,"currency":"JPY"}' in line


def test_export_costs_a_constant_number_of_queries(
    admin_client, make_order, make_customer, django_assert_num_queries
):
    orders = [
        make_order(f"o{n}", customer=make_customer(f"c{n}"), items=[{"price": Decimal(1)}])
        for n in range(12)
    ]

    # Session, user, the admin's "anything in the table" check, count, audit insert (in a
    # savepoint), the sorted order ids, then per chunk of 500 orders one query for the
    # orders and three prefetches (items, status events, shipments).
    with django_assert_num_queries(12):
        response = run_action(admin_client, "export_jsonl", orders)
        assert len(jsonl(response)) == 12


def test_export_is_recorded_in_the_access_audit(admin_client, make_order):
    orders = [make_order("a"), make_order("b")]

    run_action(admin_client, "export_jsonl", orders)

    audit = AccessAudit.objects.get()
    assert (audit.actor, audit.channel, audit.action, audit.detail) == (
        "admin:admin",
        "admin",
        "export_orders",
        "2 orders",
    )


def test_export_needs_view_permission(staff_client, make_order):
    order = make_order()
    client = staff_client("orders.change_customer")

    response = run_action(client, "export_jsonl", [order])

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_export_is_offered_to_staff_who_can_view_orders(staff_client, make_order):
    make_order()
    client = staff_client("orders.view_order")

    response = client.get(CHANGELIST)

    choices = dict(response.context["action_form"].fields["action"].choices)
    assert "export_jsonl" in choices
    assert "cancel_orders" not in choices


# --- Cancel ---------------------------------------------------------------------------------


def test_cancel_cancels_the_order_and_appends_a_timeline_event(admin_client, make_order):
    order = make_order(events=[CONFIRMED])

    response = run_action(admin_client, "cancel_orders", [order], cancel_reason="CUSTOMER_REQUEST")

    assert response.status_code == HTTPStatus.FOUND
    order.refresh_from_db()
    assert order.cancellation_status == "CANCELED"
    assert order.canceled_at is not None
    assert order.canceled_by == "admin:admin"
    assert order.cancel_reason == "CUSTOMER_REQUEST"
    latest = order.status_events.order_by("-status_date_time", "-id").first()
    assert (latest.generic_type, latest.detailed_type, latest.description) == (
        "CONFIRMED",
        "CONFIRMED",
        "Canceled: Customer changed their mind",
    )
    # Derived values and the stored API document follow the new event.
    assert order.latest_status_description == ("Canceled: Customer changed their mind")
    assert '"cancellation_status":"CANCELED"' in order.document
    assert "Canceled: Customer changed their mind" in order.document
    assert notices(response) == [
        ("success", "Canceled 1 order (Customer changed their mind): #ORDER123")
    ]


def test_cancel_of_an_order_without_timeline_records_an_unknown_stage(admin_client, make_order):
    order = make_order()

    run_action(admin_client, "cancel_orders", [order], cancel_reason="OTHER")

    order.refresh_from_db()
    assert (order.latest_generic_type, order.latest_status_description) == (
        "UNKNOWN",
        "Canceled: Other",
    )


def test_cancel_records_an_access_audit_row(admin_client, admin_user, make_order):
    order = make_order()

    run_action(admin_client, "cancel_orders", [order], cancel_reason="SUSPECTED_FRAUD")

    audit = AccessAudit.objects.get()
    assert (
        audit.user,
        audit.actor,
        audit.channel,
        audit.action,
        audit.customer_external_id,
        audit.order_external_id,
        audit.detail,
    ) == (
        admin_user,
        "admin:admin",
        "admin",
        "cancel_order",
        "customer123",
        "order123",
        "SUSPECTED_FRAUD",
    )
    assert audit.request_id


def test_cancel_skips_canceled_and_shipped_orders_with_a_warning(admin_client, make_order):
    open_order = make_order("open", events=[CONFIRMED])
    shipped = make_order("shipped", events=[CONFIRMED, SHIPPED])
    canceled = make_order("gone", cancellation_status="CANCELED")

    response = run_action(
        admin_client, "cancel_orders", [open_order, shipped, canceled], cancel_reason="OTHER"
    )

    assert notices(response) == [
        ("success", "Canceled 1 order (Other): #OPEN"),
        ("warning", "Skipped 2 orders already canceled or already shipped: #SHIPPED, #GONE"),
    ]
    shipped.refresh_from_db()
    assert shipped.cancellation_status == ""
    assert shipped.status_events.count() == 2
    assert AccessAudit.objects.count() == 1


def test_cancel_needs_a_reason(admin_client, make_order):
    order = make_order()

    response = run_action(admin_client, "cancel_orders", [order], cancel_reason="")

    order.refresh_from_db()
    assert order.cancellation_status == ""
    assert notices(response) == [
        ("error", "Nothing canceled: pick a cancel reason next to the action first.")
    ]


@pytest.mark.parametrize("reason", ["Because", "card 4111111111111111"])
def test_cancel_refuses_reasons_outside_the_list(admin_client, make_order, reason):
    order = make_order()

    run_action(admin_client, "cancel_orders", [order], cancel_reason=reason)

    order.refresh_from_db()
    assert order.cancellation_status == ""
    assert not order.status_events.exists()


@pytest.mark.parametrize(
    "perms", [("orders.view_order",), ("orders.view_order", "orders.change_order")]
)
def test_cancel_needs_the_cancel_order_permission(staff_client, make_order, perms):
    order = make_order()
    client = staff_client(*perms)

    response = run_action(client, "cancel_orders", [order], cancel_reason="OTHER")

    assert response.status_code == HTTPStatus.FOUND
    order.refresh_from_db()
    assert order.cancellation_status == ""
    assert notices(response) == [("warning", "No action selected.")]


def test_cancel_works_for_staff_with_the_cancel_order_permission(staff_client, make_order):
    order = make_order()
    client = staff_client("orders.view_order", "orders.cancel_order", username="sup")

    run_action(client, "cancel_orders", [order], cancel_reason="OTHER")

    order.refresh_from_db()
    assert (order.cancellation_status, order.canceled_by) == ("CANCELED", "admin:sup")


def test_cancel_adds_no_event_when_the_order_cannot_be_canceled(make_order):
    order = make_order(events=[CONFIRMED, SHIPPED])

    with pytest.raises(services.OrderNotCancellable):
        services.order_cancel(order=order, reason="OTHER", actor="admin:x", channel="admin")

    assert order.status_events.count() == 2
    assert not AccessAudit.objects.exists()


def test_export_is_byte_identical_to_the_export_orders_command(admin_client, make_order):
    orders = [
        make_order("b-order", items=[{"name": "Mug", "price": Decimal("10.50")}]),
        make_order("a-order", events=[CONFIRMED, SHIPPED]),
    ]
    command_output = io.StringIO()
    call_command("export_orders", stdout=command_output)

    response = run_action(admin_client, "export_jsonl", orders)

    assert b"".join(response.streaming_content).decode() == command_output.getvalue()
