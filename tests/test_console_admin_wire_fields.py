from __future__ import annotations

import json
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from orders import services
from orders.models import Customer, Order
from tests.test_admin_orders import order_data

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ORDER_PAGE = "/agent/customers/customer123/orders/order123"
CUSTOMER_PAGE = "/agent/customers/customer123"
CARD = "4111111111111111"


# --- console ----------------------------------------------------------------------------------


def test_the_order_page_shows_the_custom_fields(agent_client, make_order):
    make_order(custom_fields={"tier": "gold", "gift": True, "points": 1200})

    page = agent_client.get(ORDER_PAGE).content.decode()

    assert 'id="custom-fields"' in page
    assert "<dt>gift</dt><dd>Yes</dd>" in page
    assert "<dt>points</dt><dd>1,200</dd>" in page
    assert "<dt>tier</dt><dd>gold</dd>" in page


def test_an_order_without_custom_fields_has_no_panel(agent_client, make_order):
    make_order()

    assert 'id="custom-fields"' not in agent_client.get(ORDER_PAGE).content.decode()


def test_custom_fields_are_shown_as_text_not_markup(agent_client, make_order):
    make_order(custom_fields={"<b>key</b>": "<script>alert(1)</script>"})

    page = agent_client.get(ORDER_PAGE).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;key&lt;/b&gt;" in page


def test_the_customer_page_shows_the_customers_custom_fields(agent_client, make_customer):
    make_customer(custom_fields={"segment": "vip"})

    page = agent_client.get(CUSTOMER_PAGE).content.decode()

    assert "<dt>segment</dt><dd>vip</dd>" in page


def test_the_order_page_shows_payment_and_shop_status(agent_client, make_order):
    make_order(payment_status="PARTIALLY_REFUNDED", status="Awaiting pickup")

    page = agent_client.get(ORDER_PAGE).content.decode()

    assert "<dd>Partially refunded</dd>" in page
    assert "<dd>Awaiting pickup</dd>" in page


def test_payment_statuses_read_in_the_agents_language(agent_client, make_order):
    make_order(payment_status="PARTIALLY_REFUNDED")

    page = agent_client.get(ORDER_PAGE, HTTP_ACCEPT_LANGUAGE="pt-PT").content.decode()

    assert "<dd>Parcialmente reembolsado</dd>" in page


def test_a_payment_status_nobody_translated_is_shown_in_words(agent_client, make_order):
    make_order(payment_status="ON_HOLD_BY_BANK")

    page = agent_client.get(ORDER_PAGE, HTTP_ACCEPT_LANGUAGE="pt-PT").content.decode()

    assert "<dd>On hold by bank</dd>" in page


def test_the_price_panel_shows_refunds_and_the_net_payment(agent_client, make_order):
    make_order(final_total_amount=Decimal("10.50"), total_refunded_amount=Decimal("4"))

    response = agent_client.get(ORDER_PAGE)

    lines = [(line.label, line.amount) for line in response.context["price_lines"]]
    assert lines[-2:] == [("Refunded", "€4.00"), ("Net payment", "€6.50")]


def test_a_canceled_order_shows_what_the_canceller_asked_for(agent_client, make_order):
    order = make_order()
    services.order_cancel(
        order=order,
        reason="OTHER",
        actor="client:abc",
        channel="api",
        details=services.CancelDetails(
            staff_note="Called twice <b>", restock=True, notify_customer=False,
            refund_method="STORE_CREDIT",
        ),
    )  # fmt: skip

    page = agent_client.get(ORDER_PAGE).content.decode()

    assert "<dt>Staff note</dt><dd>Called twice &lt;b&gt;</dd>" in page
    assert "<dt>Restock requested</dt><dd>Yes</dd>" in page
    assert "<dt>Customer notification requested</dt><dd>No</dd>" in page
    assert "<dt>Refund method requested</dt><dd>STORE_CREDIT</dd>" in page
    assert "sends no email, restocks nothing and moves no money" in page


def test_a_cancel_without_details_shows_no_record(agent_client, make_order):
    order = make_order()
    services.order_cancel(order=order, reason="OTHER", actor="agent:x", channel="console")

    assert (
        "Recorded with the cancellation only" not in agent_client.get(ORDER_PAGE).content.decode()
    )


def test_the_order_page_still_costs_nine_queries_with_the_new_panels(
    agent_client, make_order, django_assert_num_queries
):
    order = make_order(custom_fields={"tier": "gold"}, payment_status="PAID")
    services.order_cancel(
        order=order, reason="OTHER", actor="agent:x", channel="console",
        details=services.CancelDetails(staff_note="note"),
    )  # fmt: skip

    # as on the order page test (with the shipments query)
    with django_assert_num_queries(9):
        agent_client.get(ORDER_PAGE)


# --- admin ------------------------------------------------------------------------------------

ADD = reverse("admin:orders_order_add")


def add_order(admin_client, make_customer, **overrides):
    customer = make_customer()
    data = order_data(customer, custom_fields="", payment_status="", status="")
    data["total_refunded_amount"] = ""
    return admin_client.post(ADD, {**data, **overrides})


def test_admin_saves_custom_fields_statuses_and_refunds(admin_client, make_customer):
    response = add_order(
        admin_client,
        make_customer,
        custom_fields=json.dumps({"tier": "gold", "gift": True}),
        payment_status="partially refunded",
        status="open",
        total_refunded_amount="1.00",
    )

    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    order = Order.objects.get()
    assert order.custom_fields == {"gift": True, "tier": "gold"}
    assert (order.payment_status, order.status) == ("PARTIALLY_REFUNDED", "open")
    assert order.total_refunded_amount == Decimal("1.00")
    assert '"custom_fields":{"gift":true,"tier":"gold"}' in order.document


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("custom_fields", json.dumps({"tier": {"nested": 1}})),
        ("custom_fields", json.dumps(["gold"])),
        ("custom_fields", json.dumps({f"k{n}": n for n in range(51)})),
        ("payment_status", "paid!"),
        ("total_refunded_amount", "99.00"),
        ("total_refunded_amount", "1.001"),
    ],
)
def test_admin_rejects_bad_values_as_field_errors(admin_client, make_customer, field, value):
    response = add_order(admin_client, make_customer, **{field: value})

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["adminform"].form.errors
    assert not Order.objects.exists()


@pytest.mark.parametrize("field", ["custom_fields", "status"])
def test_admin_rejects_card_numbers_without_echoing_them(admin_client, make_customer, field):
    value = json.dumps({"note": f"card {CARD}"}) if field == "custom_fields" else f"card {CARD}"

    response = add_order(admin_client, make_customer, **{field: value})

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["adminform"].form.errors
    assert CARD not in response.content.decode()
    assert not Order.objects.exists()


def test_admin_shows_the_cancellation_record_read_only(admin_client, make_order):
    order = make_order()
    services.order_cancel(
        order=order, reason="OTHER", actor="client:abc", channel="api",
        details=services.CancelDetails(staff_note="Called twice", refund_method="STORE_CREDIT"),
    )  # fmt: skip

    response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    form = response.context["adminform"].form
    assert "cancel_staff_note" not in form.fields  # read-only: shown, never edited
    assert "Called twice" in response.content.decode()
    assert "STORE_CREDIT" in response.content.decode()


def test_admin_saves_customer_custom_fields(admin_client, make_customer):
    customer = make_customer()
    url = reverse("admin:orders_customer_change", args=[customer.pk])
    data = {
        "first_name": "John",
        "last_name": "Doe",
        "email": "john@example.com",
        "phone_number": "+351910000000",
        "brand": "",
        "customer_since_0": "",
        "customer_since_1": "",
        "custom_fields": json.dumps({"segment": "vip"}),
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
        "addresses-MIN_NUM_FORMS": "0",
        "addresses-MAX_NUM_FORMS": "1000",
    }

    response = admin_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    assert Customer.objects.get().custom_fields == {"segment": "vip"}

    data["custom_fields"] = json.dumps({CARD: "x"})
    response = admin_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert CARD not in response.content.decode()
    assert Customer.objects.get().custom_fields == {"segment": "vip"}
