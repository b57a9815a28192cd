from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.db.models import Count
from django.test import RequestFactory

from orders import services
from orders.demo import DemoBuilder
from orders.models import (
    Address,
    Customer,
    Order,
    OrderItem,
    Shipment,
    ShipmentEvent,
    StatusEvent,
)
from orders.rules import carriers as carrier_rules


def sign_in(*, username: str, password: str):
    # django-axes guards authenticate() and needs the request it would see at the login page.
    return authenticate(
        RequestFactory().post("/accounts/login/"), username=username, password=password
    )


@pytest.fixture
def seeded(run_command):
    status, out, err = run_command("seed_demo")
    assert (status, err) == (0, "")
    return out


def test_it_loads_the_seed_example(seeded):
    order = Order.objects.select_related("customer", "shipping_address").get(external_id="order123")

    assert order.order_number == "#Y34DHR"
    assert (order.customer.external_id, order.customer.full_name) == ("customer123", "John Doe")
    assert order.customer.phone_number == "+351910000000"
    assert (order.card_brand, order.card_last4) == ("Visa", "4567")
    assert order.currency == "EUR"
    assert (order.latest_generic_type, order.latest_detailed_type) == ("ON_ITS_WAY", "IN_TRANSIT")
    address = order.shipping_address
    assert (address.city, address.region_code, address.country_code) == ("Lisbon", "PT-11", "PT")
    assert order.billing_address == address


def test_the_seed_example_prices_add_up(seeded):
    order = Order.objects.get(external_id="order123")

    items_total = sum(item.price * item.quantity for item in order.items.all())
    assert order.original_total_amount == items_total
    assert order.final_total_amount == (
        order.original_total_amount
        - order.discounts_amount
        + order.shipping_amount
        + order.taxes_amount
    )


def test_it_prints_a_short_summary(seeded):
    assert seeded.startswith("Demo data: 25 customers, ")
    assert seeded.count("\n") == 1


def test_it_makes_about_25_customers_by_default(seeded):
    assert Customer.objects.count() == 25
    assert Order.objects.count() >= 50


def test_customers_option_sets_the_number_of_customers(run_command):
    run_command("seed_demo", "--customers", "4")

    assert Customer.objects.count() == 4
    assert Customer.objects.filter(external_id="customer123").exists()


def test_running_it_twice_changes_nothing(seeded, run_command):
    before = {
        model.__name__: sorted(model.objects.values_list("id", flat=True))
        for model in (Customer, Address, Order, OrderItem, StatusEvent)
    }
    updated_at = sorted(Order.objects.values_list("updated_at", flat=True))

    status, out, _ = run_command("seed_demo")

    after = {
        model.__name__: sorted(model.objects.values_list("id", flat=True))
        for model in (Customer, Address, Order, OrderItem, StatusEvent)
    }
    assert status == 0
    assert "0 created, 0 updated" in out
    assert after == before
    assert sorted(Order.objects.values_list("updated_at", flat=True)) == updated_at


def test_it_is_deterministic():
    assert DemoBuilder(25).documents() == DemoBuilder(25).documents()


def test_every_demo_document_is_valid_and_fresh_imports_match(db):
    documents = DemoBuilder(25).documents()

    result = services.orders_import(documents=documents)

    assert result.summary() == {
        "created": len(documents),
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }


def test_the_demo_has_every_currency_and_delivery_type(seeded):
    assert set(Order.objects.values_list("currency", flat=True)) == {
        "EUR",
        "USD",
        "GBP",
        "JPY",
        "KWD",
    }
    assert set(Order.objects.values_list("delivery_type", flat=True)) == {
        "UNKNOWN",
        "LOCAL_DELIVERY",
        "LOCAL_PICKUP",
        "SHIPPING",
    }


def test_the_demo_has_pickups_failures_attempts_cancellations_and_refunds(seeded):
    detailed = set(StatusEvent.objects.values_list("detailed_type", flat=True))

    assert {
        "READY_FOR_PICKUP",
        "PICKED_UP",
        "ATTEMPTED_DELIVERY",
        "FAILURE",
        "DELIVERED",
    } <= detailed
    assert Order.objects.filter(cancellation_status="CANCELED").exists()
    assert Order.objects.filter(is_refunded=True).exists()
    pickups = Order.objects.filter(delivery_type="LOCAL_PICKUP", latest_detailed_type="PICKED_UP")
    assert pickups.exists()


def test_the_demo_amounts_fit_their_currency(seeded):
    for item in OrderItem.objects.filter(currency__in=["JPY", "KWD"]):
        exponent = {"JPY": 0, "KWD": 3}[item.currency]
        assert item.price == round(item.price, exponent)
    assert OrderItem.objects.filter(currency="JPY").exists()


def test_the_demo_has_several_brands_and_several_orders_per_customer(seeded):
    assert Order.objects.values("brand").distinct().count() >= 4
    assert Customer.objects.filter(orders__isnull=False).distinct().count() == 25
    john = Customer.objects.get(external_id="customer123")
    assert john.orders.count() >= 3


def test_the_demo_phone_numbers_are_e164_from_several_countries(seeded):
    phones = list(Customer.objects.values_list("phone_number", flat=True))

    assert all(phone.startswith("+") and phone[1:].isdigit() for phone in phones)
    prefixes = {"+351", "+1", "+44", "+81", "+965", "+49", "+33", "+353"}
    assert {
        prefix for prefix in prefixes for phone in phones if phone.startswith(prefix)
    } == prefixes


def test_the_demo_holds_no_full_card_numbers(seeded, run_command):
    _, out, _ = run_command("export_orders")

    cards = {json.loads(line)["payment_details"]["card_number"] for line in out.splitlines()}
    assert all(card.startswith("**** **** **** ") and len(card) == 19 for card in cards)


@pytest.fixture
def development(settings):
    settings.DEBUG = True


def test_demo_users_are_refused_with_debug_off_so_admin_admin_never_reaches_production(
    run_command, settings
):
    settings.DEBUG = False
    admin = User.objects.create_superuser("admin", password="a-real-admin-password")

    status, out, err = run_command("seed_demo", "--customers", "1", "--with-demo-users")

    assert status == 1
    assert "refused with DEBUG off" in err
    assert sign_in(username="admin", password="admin") is None
    admin.refresh_from_db()
    assert admin.check_password("a-real-admin-password")
    assert not Order.objects.exists()


def test_demo_users_are_created_with_their_roles(run_command, development):
    status, out, _ = run_command("seed_demo", "--customers", "2", "--with-demo-users")

    assert status == 0
    assert "Demo users: agent/agent, supervisor/supervisor, admin/admin" in out
    agent = sign_in(username="agent", password="agent")
    supervisor = sign_in(username="supervisor", password="supervisor")
    admin = sign_in(username="admin", password="admin")
    assert list(agent.groups.values_list("name", flat=True)) == ["Agents"]
    assert agent.has_perm("orders.view_order")
    assert not agent.has_perm("orders.cancel_order")
    assert supervisor.has_perm("orders.cancel_order")
    assert admin.is_superuser
    assert admin.is_staff


def test_demo_users_get_their_roles_even_when_the_groups_were_deleted(run_command, development):
    from django.contrib.auth.models import Group

    Group.objects.all().delete()

    status, _, _ = run_command("seed_demo", "--customers", "1", "--with-demo-users")

    assert status == 0
    agent = sign_in(username="agent", password="agent")
    assert agent.has_perm("orders.view_order")
    assert not agent.has_perm("orders.cancel_order")
    assert sign_in(username="supervisor", password="supervisor").has_perm("orders.cancel_order")


def test_demo_users_are_idempotent(run_command, development):
    run_command("seed_demo", "--customers", "1", "--with-demo-users")
    user_ids = sorted(User.objects.values_list("id", flat=True))

    status, _, _ = run_command("seed_demo", "--customers", "1", "--with-demo-users")

    assert status == 0
    assert sorted(User.objects.values_list("id", flat=True)) == user_ids
    assert sign_in(username="agent", password="agent") is not None


def test_no_users_without_the_option(seeded):
    assert not User.objects.exists()


def test_zero_customers_is_an_error(run_command):
    status, _, err = run_command("seed_demo", "--customers", "0")

    assert status == 1
    assert "at least 1" in err


def test_demo_money_is_decimal(seeded):
    order = Order.objects.get(external_id="order123")

    assert order.final_total_amount == Decimal("61.06")


# --- Pictures ---------------------------------------------------------------------------------


def demo_pictures() -> set[str]:
    return set(OrderItem.objects.values_list("image_url", flat=True)) | set(
        Order.objects.values_list("card_brand_image_url", flat=True)
    )


def test_every_demo_picture_is_a_static_file_of_the_dev_server(seeded):
    static = Path(settings.BASE_DIR) / "static"
    prefix = "http://127.0.0.1:8000/static/"

    pictures = demo_pictures()

    assert all(url.startswith(prefix + "demo/") for url in pictures)
    assert [url for url in pictures if not (static / url.removeprefix(prefix)).is_file()] == []


def test_base_url_names_the_server_that_serves_the_pictures(run_command):
    status, _, _ = run_command("seed_demo", "--customers", "2", "--base-url", "https://demo.test/")

    assert status == 0
    assert all(url.startswith("https://demo.test/static/demo/") for url in demo_pictures())


def test_behind_a_public_https_address_every_picture_is_https(run_command, settings):
    settings.ERCDASH_PUBLIC_BASE_URL = "https://ercdash.example.com"

    run_command("seed_demo", "--customers", "3")

    assert all(url.startswith("https://ercdash.example.com/static/") for url in demo_pictures())


def test_a_relative_base_url_is_refused(run_command):
    status, _, err = run_command("seed_demo", "--base-url", "/static/")

    assert status == 1
    assert "--base-url must be an absolute http(s) URL." in err
    assert not Order.objects.exists()


def test_the_demo_has_parcels_in_every_state_a_caller_asks_about(seeded):
    latest = set(Shipment.objects.values_list("latest_detailed_type", flat=True))

    assert {"IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED", "FAILURE", "READY_FOR_PICKUP"} <= latest
    assert ShipmentEvent.objects.filter(detailed_type="ATTEMPTED_DELIVERY").exists()


def test_the_demo_has_split_partly_shipped_and_unshipped_orders(seeded):
    split = Order.objects.annotate(parcels=Count("shipments")).filter(parcels=2)

    assert split.exists()
    assert Order.objects.filter(fulfillment_status="PARTIALLY_FULFILLED").exists()
    assert Order.objects.filter(fulfillment_status="UNFULFILLED").exists()
    assert Order.objects.filter(fulfillment_status="FULFILLED").exists()


def test_the_demo_parcels_have_real_carriers_and_numbers_of_their_shape(seeded):
    carriers = set(Shipment.objects.values_list("carrier", flat=True))
    linked = [
        shipment
        for shipment in Shipment.objects.all()
        if carrier_rules.tracking_link(shipment.carrier, shipment.tracking_number)
    ]

    assert {"UPS", "DHL", "CTT", "Royal Mail", "USPS", "Yamato"} <= carriers
    assert {s.carrier for s in linked} >= {"UPS", "DHL", "USPS"}
    assert Shipment.objects.filter(carrier="CTT", tracking_number__regex=r"^[A-Z]{2}[0-9]{9}PT$")


def test_the_seed_example_is_in_transit_with_ctt(seeded):
    shipment = Shipment.objects.get(order__external_id="order123")

    assert (shipment.carrier, shipment.tracking_number) == ("CTT", "RR123456785PT")
    assert shipment.tracking_url.startswith("https://www.ctt.pt/")
    assert shipment.latest_detailed_type == "IN_TRANSIT"
    assert Order.objects.get(external_id="order123").fulfillment_status == "FULFILLED"
