from __future__ import annotations

import copy
import io
import json

import pytest
from django.db import connection

from orders import documents, services
from orders.models import Address, Customer, Order, StatusEvent
from orders.selectors import orders_with_relations
from orders.services import imports
from tests.test_import_orders import BASE, VISA_TEST_PAN, document, summary

CONFIRMED = [
    {
        "generic_type": "CONFIRMED",
        "detailed_type": "CONFIRMED",
        "status_date_time": "2021-09-14T12:17:02.310Z",
    }
]


def order(n: int, customer: int | None = None, **changes) -> dict:
    """Order n of customer `customer` (default n), with its own address id."""
    c = n if customer is None else customer
    fields = {
        "id": f"order-{n}",
        "order_number": f"#N{n}",
        "customer_id": f"customer-{c}",
        "customer__id": f"customer-{c}",
        "shipping_address__id": f"home-{c}",
    }
    return document(**{**fields, **changes})


@pytest.fixture
def one_batch(monkeypatch) -> list[int]:
    """Every write transaction takes up to 100 records; the sizes of those it wrote."""
    monkeypatch.setattr(imports, "FIRST_BATCH", 100)
    monkeypatch.setattr(imports, "WRITE_BATCH", 100)
    monkeypatch.setattr(imports, "clock", lambda: 0.0)
    real = imports._write_some
    sizes: list[int] = []

    def write_some(pending, **kwargs):
        written = real(pending, **kwargs)
        sizes.append(len(written))
        return written

    monkeypatch.setattr(imports, "_write_some", write_some)
    return sizes


def run(records: list[dict]) -> services.ImportResult:
    return services.orders_import(documents=copy.deepcopy(records))


def derived_and_document(order_id: str) -> dict:
    return Order.objects.values(
        "derived_items_quantity",
        "derived_top_item_image_url",
        "derived_highlighted_item",
        "latest_generic_type",
        "latest_detailed_type",
        "latest_status_at",
        "latest_status_description",
        "fulfillment_status",
        "delivery_status",
        "document",
    ).get(external_id=order_id)


def test_a_batch_derives_and_renders_each_order_as_order_refresh_does(db, one_batch):
    parcel = {
        "id": "parcel-1",
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "items": [{"item_id": "item1", "quantity": 1}],
        "status_history": [
            {"detailed_type": "IN_TRANSIT", "status_date_time": "2021-10-23T12:16:50.078Z"}
        ],
    }
    cheaper = {**BASE["items"][0], "id": "item0", "price": {"value": 1, "currency": "EUR"}}
    run([order(1), order(2, items=[cheaper, *BASE["items"]]), order(3, shipments=[parcel])])
    run([order(1, delivery_type="LOCAL_DELIVERY"), order(4, customer=1)])  # an update, a new one

    assert one_batch == [3, 2]
    for order_id in ("order-1", "order-2", "order-3", "order-4"):
        imported = derived_and_document(order_id)
        services.order_refresh(order=orders_with_relations().get(external_id=order_id))
        assert derived_and_document(order_id) == imported, order_id
    assert Order.objects.get(external_id="order-2").derived_highlighted_item.external_id == "item1"


def test_a_record_rejected_inside_a_batch_changes_nothing_and_its_neighbours_are_written(
    db, one_batch
):
    run([order(1)])
    clash = order(
        2,
        customer=1,
        order_number="#N1",  # order-1's number
        customer__first_name="Changed",
        shipping_address__id="elsewhere",
    )

    result = run([order(3, customer=1), clash, order(4)])

    assert result.summary() == summary(created=2, rejected=1)
    assert [(e.record, e.field) for e in result.errors] == [(2, "order_number")]
    assert one_batch == [1, 3]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == [
        "order-1",
        "order-3",
        "order-4",
    ]
    assert Customer.objects.get(external_id="customer-1").first_name == "John"
    assert not Address.objects.filter(external_id="elsewhere").exists()


@pytest.fixture
def poisoned_order(db) -> str:
    """The database itself refuses to insert the order with this id (a trigger)."""
    if connection.vendor == "postgresql":
        statements = [
            """CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
                 RAISE EXCEPTION 'poisoned' USING ERRCODE = 'check_violation';
               END $$ LANGUAGE plpgsql""",
            """CREATE TRIGGER poison BEFORE INSERT ON orders_order FOR EACH ROW
               WHEN (NEW.external_id = 'order-2') EXECUTE FUNCTION poison()""",
        ]
    else:
        statements = [
            """CREATE TRIGGER poison BEFORE INSERT ON orders_order FOR EACH ROW
               WHEN NEW.external_id = 'order-2' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"""
        ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return "order-2"


def test_a_record_the_database_refuses_is_rejected_alone_and_the_batch_is_written(
    poisoned_order, one_batch
):
    bad = order(2, customer__first_name=VISA_TEST_PAN[:4])

    result = run([order(1), bad, order(3)])

    assert result.summary() == summary(created=2, rejected=1)
    assert [(e.record, e.field, e.description) for e in result.errors] == [
        (2, "", "The database refused this record (a constraint failed).")
    ]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["order-1", "order-3"]
    assert not Customer.objects.filter(external_id="customer-2").exists()
    assert not Address.objects.filter(external_id="home-2").exists()


def test_reimporting_unchanged_records_writes_nothing_and_takes_no_transaction(db, one_batch):
    records = [order(n, customer=n // 3) for n in range(9)]
    run(records)
    before = list(Order.objects.order_by("id").values("updated_at", "document"))
    customers = list(Customer.objects.order_by("id").values("updated_at"))

    result = run(records)

    assert result.summary() == summary(unchanged=9)
    assert one_batch == [9]  # the first import only
    assert list(Order.objects.order_by("id").values("updated_at", "document")) == before
    assert list(Customer.objects.order_by("id").values("updated_at")) == customers


def test_a_batched_reimport_keeps_a_local_cancellation(db, one_batch):
    records = [order(n, status_history=CONFIRMED) for n in range(4)]
    run(records)
    services.order_cancel(
        order=Order.objects.select_related("customer").get(external_id="order-2"),
        reason="CUSTOMER_REQUEST",
        actor="agent:ana",
        channel="console",
    )
    shipped = {
        "generic_type": "ON_ITS_WAY",
        "detailed_type": "IN_TRANSIT",
        "status_date_time": "2021-10-23T12:16:50.078Z",
    }
    later = [order(n, status_history=[*CONFIRMED, shipped]) for n in range(4)]

    result = run(later)

    assert result.summary() == summary(updated=4)
    canceled = Order.objects.get(external_id="order-2")
    assert canceled.is_canceled
    events = canceled.status_events.order_by("status_date_time", "id")
    assert [(e.generic_type, e.is_local) for e in events] == [
        ("CONFIRMED", False),
        ("ON_ITS_WAY", False),
        ("CONFIRMED", True),  # the cancellation, recorded now: it sorts last
    ]
    assert StatusEvent.objects.filter(is_local=True).count() == 1
    assert Order.objects.filter(latest_generic_type="ON_ITS_WAY").count() == 3
    assert run(later).summary() == summary(unchanged=4)


@pytest.mark.parametrize("count", [10, 40])
def test_a_batch_costs_a_bounded_number_of_queries(
    db, one_batch, count, django_assert_max_num_queries
):
    # A new customer every third order, as in bench/imports.py.
    records = [order(n, customer=n // 3) for n in range(count)]
    # Reading the chunk's stored orders, then one transaction: lookups, bulk inserts (SQLite
    # binds at most 999 parameters per statement, so 40 orders take a few INSERTs each).
    with django_assert_max_num_queries(24):
        result = run(records)
    assert result.summary() == summary(created=count)

    changed = [order(n, customer=n // 3, delivery_type="LOCAL_DELIVERY") for n in range(count)]
    with django_assert_max_num_queries(40):
        result = run(changed)
    assert result.summary() == summary(updated=count)


def test_json_lines_are_read_a_line_at_a_time_into_the_records_parse_finds():
    data = b'\xef\xbb\xbf{"a": 1}\n\n  \r\n{"b": "x\xe2\x80\xa8y"}\r\nnot json\n{"c": 2.50}'

    assert list(documents.read(io.BytesIO(data))) == documents.parse(data)


def test_a_file_that_is_not_utf8_is_refused_before_any_record_is_read():
    data = b'{"a": 1}\n' * 1000 + b'{"b": "\xff"}\n'

    with pytest.raises(documents.FileNotJson, match=r"not UTF-8 text \(byte 9007\)"):
        documents.read(io.BytesIO(data))


def test_a_file_with_a_bad_byte_at_its_end_imports_nothing(run_command, tmp_path):
    path = tmp_path / "orders.jsonl"
    lines = "".join(json.dumps(order(n)) + "\n" for n in range(3))
    path.write_bytes(lines.encode() + b"\xff\n")

    status, _, err = run_command("import_orders", str(path))

    assert status == 1
    assert "not UTF-8" in err
    assert not Order.objects.exists()
