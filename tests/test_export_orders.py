from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from orders import services
from orders.models import AccessAudit, Address, Customer, Order, OrderItem, StatusEvent

EVENTS = [
    {
        "generic_type": "CONFIRMED",
        "detailed_type": "CONFIRMED",
        "status_date_time": datetime(2021, 9, 14, 12, 17, 2, 310000, tzinfo=UTC),
    },
    {
        "generic_type": "ON_ITS_WAY",
        "detailed_type": "IN_TRANSIT",
        "status_date_time": datetime(2021, 10, 23, 12, 16, 50, 78000, tzinfo=UTC),
        "description": "Handed to the carrier.",
    },
]
ITEMS = [
    {
        "name": "Cork notebook",
        "sku": "CL-CRK-02",
        "quantity": 2,
        "price": Decimal("10.50"),
        "image_url": "https://example.com/notebook.jpg",
    }
]


def test_it_writes_one_order_document_per_line(run_command, make_order):
    make_order(items=ITEMS, events=EVENTS)

    status, out, err = run_command("export_orders")

    address = (
        '{"id":"address-order123","first_name":"John","last_name":"Doe",'
        '"phone_number":"+351910000000","address":"Rua Augusta 1","zip_code":"1100-048",'
        '"city":"Lisbon","region_code":"PT-11","country_code":"PT","default":true}'
    )
    expected = (
        '{"id":"order123","order_number":"#ORDER123","customer_id":"customer123",'
        '"purchase_datetime":"2021-09-14T12:16:50.078Z","delivery_type":"SHIPPING",'
        f'"shipping_address":{address},"billing_address":{address},'
        '"price_summary":{"original_total_amount":{"value":10.5,"currency":"EUR"},'
        '"discounts_amount":{"value":0,"currency":"EUR"},'
        '"shipping_amount":{"value":0,"currency":"EUR"},'
        '"taxes_amount":{"value":0,"currency":"EUR"},'
        '"final_total_amount":{"value":10.5,"currency":"EUR"}},'
        '"payment_details":{"card_brand":"Visa","card_number":"**** **** **** 4567",'
        '"is_refunded":false},'
        '"customer":{"id":"customer123","first_name":"John","last_name":"Doe",'
        '"email":"customer123@example.com","phone_number":"+351910000000"},'
        '"items":[{"id":"item0","name":"Cork notebook","sku":"CL-CRK-02","quantity":2,'
        '"price":{"value":10.5,"currency":"EUR"},"image_url":"https://example.com/notebook.jpg"}],'
        '"status_history":[{"generic_type":"CONFIRMED","detailed_type":"CONFIRMED",'
        '"status_date_time":"2021-09-14T12:17:02.310Z"},'
        '{"generic_type":"ON_ITS_WAY","detailed_type":"IN_TRANSIT",'
        '"status_date_time":"2021-10-23T12:16:50.078Z","description":"Handed to the carrier."}]}\n'
    )
    assert (status, out, err) == (0, expected, "")


def test_derived_values_are_not_exported(run_command, make_order):
    make_order(items=ITEMS, events=EVENTS)

    _, out, _ = run_command("export_orders")

    document = json.loads(out)
    assert "items_number" not in document
    assert "order_extra_info" not in document  # no latest_status_info, no derived image


def test_stored_items_number_and_highlighted_image_are_exported(run_command, make_order):
    make_order(items_number=7, highlighted_item_image_url="https://example.com/hero.jpg")

    _, out, _ = run_command("export_orders")

    document = json.loads(out)
    assert document["items_number"] == 7
    assert document["order_extra_info"] == {
        "highlighted_item_image_url": "https://example.com/hero.jpg"
    }


def test_orders_are_sorted_by_order_id(run_command, make_order):
    for order_id in ["b-2", "B-1", "a-10", "a-9", "_x"]:
        make_order(order_id)

    _, out, _ = run_command("export_orders")

    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert ids == ["B-1", "_x", "a-10", "a-9", "b-2"]


def test_customer_option_exports_only_that_customers_orders(run_command, make_order, make_customer):
    make_order("order1")
    make_order("order2", customer=make_customer("customer456"))

    _, out, _ = run_command("export_orders", "--customer", "customer456")

    assert [json.loads(line)["id"] for line in out.splitlines()] == ["order2"]


def test_an_unknown_customer_is_an_error(run_command, make_order):
    make_order()

    status, out, err = run_command("export_orders", "--customer", "nobody")

    assert (status, out) == (1, "")
    assert "No customer with this id." in err


def test_an_empty_database_exports_nothing(run_command):
    assert run_command("export_orders") == (0, "", "")


def test_export_is_audited(run_command, make_order):
    make_order()

    run_command("export_orders", "--customer", "customer123")

    audit = AccessAudit.objects.get()
    assert (audit.action, audit.customer_external_id, audit.detail) == (
        "export_orders",
        "customer123",
        "export_orders: 1 orders",
    )
    assert audit.actor.startswith("cli:")


def test_export_costs_the_same_queries_for_any_number_of_orders(
    make_order, django_assert_num_queries
):
    for n in range(30):
        make_order(f"order{n}", items=ITEMS, events=EVENTS)

    # Ids, then per chunk: orders with customer and addresses, items, events, shipments.
    with django_assert_num_queries(5):
        documents = list(services.orders_export())

    assert len(documents) == 30


def test_export_reads_in_chunks(make_order, django_assert_num_queries):
    for n in range(5):
        make_order(f"order{n}")

    with django_assert_num_queries(1 + 3 * 4):
        documents = list(services.orders_export(chunk_size=2))

    assert [d["id"] for d in documents] == [f"order{n}" for n in range(5)]


def _wipe() -> None:
    for model in (StatusEvent, OrderItem, Order, Address, Customer):
        model.objects.all().delete()


def test_export_import_export_is_byte_identical(run_command, tmp_path):
    run_command("seed_demo", "--customers", "12")
    _, first, _ = run_command("export_orders")
    path = tmp_path / "export.jsonl"
    path.write_text(first)

    status, out, _ = run_command("import_orders", str(path))
    _, second, _ = run_command("export_orders")

    lines = first.count("\n")
    assert (status, json.loads(out)) == (
        0,
        {"created": 0, "updated": 0, "unchanged": lines, "rejected": 0},
    )
    assert second == first


def test_export_import_export_is_byte_identical_on_an_empty_database(run_command, tmp_path):
    run_command("seed_demo", "--customers", "12")
    _, first, _ = run_command("export_orders")
    path = tmp_path / "export.jsonl"
    path.write_text(first)
    _wipe()

    status, out, _ = run_command("import_orders", str(path))
    _, second, _ = run_command("export_orders")

    lines = first.count("\n")
    assert (status, json.loads(out)) == (
        0,
        {"created": lines, "updated": 0, "unchanged": 0, "rejected": 0},
    )
    assert second == first


def test_an_exported_order_with_a_cancellation_round_trips(run_command, make_order, tmp_path):
    make_order(cancellation_status="CANCELED", is_refunded=True, items=ITEMS, events=EVENTS)
    _, first, _ = run_command("export_orders")
    path = tmp_path / "export.jsonl"
    path.write_text(first)
    _wipe()

    run_command("import_orders", str(path))
    _, second, _ = run_command("export_orders")

    assert '"cancellation_status":"CANCELED"' in first
    assert second == first
