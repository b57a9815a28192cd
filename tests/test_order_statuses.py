from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest

from orders import services
from orders.models import Order
from tests.conftest import READ, WRITE
from tests.test_import_orders import BASE, VISA_TEST_PAN, document

CUSTOMER = "/erc/ecommerce/customers/customer123"
ORDER = CUSTOMER + "/orders/order123"
FLAGS = (
    "is_cancellable",
    "is_change_shipping_address_allowed",
    "is_refundable",
    "is_returnable",
    "fulfillment_status",
)


def events(*generic_types: str) -> list[dict]:
    return [
        {"generic_type": generic, "status_date_time": datetime(2024, 5, day, tzinfo=UTC)}
        for day, generic in enumerate(generic_types, 1)
    ]


@pytest.fixture
def import_records(run_command, tmp_path):
    def run(records: list):
        path = tmp_path / "orders.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in records))
        status, out, err = run_command("import_orders", str(path))
        return status, json.loads(out), [json.loads(line) for line in err.splitlines()]

    return run


# --- action flags: the same rule as the actions ---------------------------------------------

STATES = [
    (timeline, cancellation)
    for timeline in [(), ("UNKNOWN",), ("CONFIRMED",), ("CONFIRMED", "ON_ITS_WAY"),
                     ("CONFIRMED", "OUT_FOR_DELIVERY"), ("CONFIRMED", "DELIVERED")]
    for cancellation in ["", "UNKNOWN", "CANCELED"]
]  # fmt: skip


@pytest.mark.parametrize(("timeline", "cancellation"), STATES)
def test_is_cancellable_is_what_the_cancel_endpoint_does(
    client, bearer, make_order, timeline, cancellation
):
    make_order(events=events(*timeline), cancellation_status=cancellation)
    auth = bearer(READ, WRITE)
    flag = client.get(ORDER, **auth).json()["is_cancellable"]
    preview = client.get(ORDER + "/cancel-preview", **auth).json()["is_cancellable"]

    response = client.post(
        ORDER + "/cancel",
        data='{"cancel_reason": "OTHER"}',
        content_type="application/json",
        **auth,
    )

    assert preview is flag
    assert response.status_code == (HTTPStatus.OK if flag else HTTPStatus.UNPROCESSABLE_ENTITY)


def test_a_cancel_turns_the_flags_off_in_the_stored_document(client, bearer, make_order):
    make_order(events=events("CONFIRMED"))
    auth = bearer(READ, WRITE)

    answered = client.post(
        ORDER + "/cancel",
        data='{"cancel_reason": "OTHER"}',
        content_type="application/json",
        **auth,
    )
    read = client.get(ORDER, **auth).json()

    assert answered.json()["is_cancellable"] is False
    assert read["is_cancellable"] is False
    assert read["is_change_shipping_address_allowed"] is False
    assert Order.objects.get().document.count('"is_cancellable":false') == 1


@pytest.mark.parametrize(
    ("fields", "timeline", "allowed"),
    [
        ({}, ("CONFIRMED",), True),
        ({"delivery_type": "LOCAL_DELIVERY"}, (), True),
        ({"delivery_type": "LOCAL_PICKUP"}, ("CONFIRMED",), False),
        ({}, ("CONFIRMED", "ON_ITS_WAY"), False),
        ({"cancellation_status": "CANCELED"}, (), False),
    ],
)
def test_the_shipping_address_can_change_before_shipping_except_for_pickups(
    client, read_auth, make_order, fields, timeline, allowed
):
    make_order(events=events(*timeline), **fields)

    assert client.get(ORDER, **read_auth).json()["is_change_shipping_address_allowed"] is allowed


@pytest.mark.parametrize(
    "timeline",
    [(), ("CONFIRMED",), ("CONFIRMED", "ON_ITS_WAY"), ("CONFIRMED", "DELIVERED")],
)
def test_fulfillment_status_comes_from_parcels_not_the_timeline(
    client, read_auth, make_order, timeline
):
    # Shipped vs ordered quantities decide (tests/test_shipment_rules.py); without parcels
    # nothing has shipped, whatever the order-level timeline says.
    make_order(events=events(*timeline))

    assert client.get(ORDER, **read_auth).json()["fulfillment_status"] == "UNFULFILLED"


def test_refunds_and_returns_are_never_offered(client, read_auth, make_order):
    make_order(is_refunded=True, total_refunded_amount=Decimal("10.50"))

    body = client.get(ORDER, **read_auth).json()

    assert (body["is_refundable"], body["is_returnable"]) == (False, False)


@pytest.mark.parametrize(
    "url",
    [
        ORDER,
        CUSTOMER + "/orders",
        "/erc/ecommerce/orders",
        CUSTOMER + "/most-recent-order",
    ],
)
def test_every_order_shape_carries_the_flags(client, read_auth, make_order, url):
    make_order(events=events("CONFIRMED"))

    body = client.get(url, **read_auth).json()
    order = body["_embedded"]["orders"][0] if "_embedded" in body else body

    assert {flag: order[flag] for flag in FLAGS} == {
        "is_cancellable": True,
        "is_change_shipping_address_allowed": True,
        "is_refundable": False,
        "is_returnable": False,
        "fulfillment_status": "UNFULFILLED",
    }
    assert "delivery_status" not in order  # no shipments yet


def test_flags_are_derived_so_never_exported(run_command, make_order):
    make_order(events=events("CONFIRMED"))

    _, out, _ = run_command("export_orders")

    assert not any(flag in out for flag in FLAGS)


# --- payment status, source status, refunds ------------------------------------------------


def test_payment_status_and_status_are_served_as_stored(client, read_auth, make_order):
    make_order(payment_status="PARTIALLY_REFUNDED", status="open")

    body = client.get(ORDER, **read_auth).json()

    assert (body["payment_status"], body["status"]) == ("PARTIALLY_REFUNDED", "open")


def test_they_are_omitted_when_unknown(client, read_auth, make_order):
    make_order()

    body = client.get(ORDER, **read_auth).json()

    assert "payment_status" not in body
    assert "status" not in body
    assert "total_refunded_amount" not in body["price_summary"]


def test_refunds_give_the_net_payment(client, read_auth, make_order):
    make_order(final_total_amount=Decimal("10.50"), total_refunded_amount=Decimal("4.25"))

    summary = client.get(ORDER, **read_auth).json()["price_summary"]

    assert summary["total_refunded_amount"] == {"value": 4.25, "currency": "EUR"}
    assert summary["net_payment_amount"] == {"value": 6.25, "currency": "EUR"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [("PAID", "PAID"), ("partially_refunded", "PARTIALLY_REFUNDED"),
     ("partially refunded", "PARTIALLY_REFUNDED"), ("Partially-Refunded", "PARTIALLY_REFUNDED")],
)  # fmt: skip
def test_payment_status_is_imported_upper_case(import_records, given, stored):
    status, _, errors = import_records([document(payment_status=given)])

    assert (status, errors) == (0, [])
    assert Order.objects.get().payment_status == stored


@pytest.mark.parametrize("value", ["   ", "paid!", "x" * 33, 3, True, ["PAID"], "1PAID"])
def test_a_bad_payment_status_is_rejected(import_records, value):
    status, _, errors = import_records([document(payment_status=value)])

    assert status == 1
    assert [error["field"] for error in errors] == ["payment_status"]
    assert not Order.objects.exists()


def test_a_card_number_in_the_source_status_is_rejected_and_not_echoed(import_records):
    status, _, errors = import_records([document(status=f"held {VISA_TEST_PAN}")])

    assert status == 1
    assert [error["field"] for error in errors] == ["status"]
    assert VISA_TEST_PAN not in json.dumps(errors)
    assert not Order.objects.exists()


def test_a_source_status_over_128_characters_is_rejected(import_records):
    status, _, errors = import_records([document(status="x" * 129)])

    assert (status, [error["field"] for error in errors]) == (1, ["status"])


def test_refunds_are_imported_and_exported_without_the_net_payment(import_records):
    status, _, _ = import_records(
        [document(price_summary__total_refunded_amount={"value": 2.5, "currency": "EUR"})]
    )

    exported = next(services.orders_export())
    assert status == 0
    assert Order.objects.get().total_refunded_amount == Decimal("2.5")
    assert exported["price_summary"]["total_refunded_amount"]["value"] == Decimal("2.5")
    assert "net_payment_amount" not in exported["price_summary"]


@pytest.mark.parametrize(
    ("refund", "field"),
    [
        ({"value": 11, "currency": "EUR"}, "price_summary.total_refunded_amount"),
        ({"value": 1, "currency": "USD"}, "price_summary.total_refunded_amount.currency"),
        ({"value": -1, "currency": "EUR"}, "price_summary.total_refunded_amount.value"),
        ({"value": 1.001, "currency": "EUR"}, "price_summary.total_refunded_amount.value"),
    ],
)
def test_bad_refunds_are_rejected(import_records, refund, field):
    status, _, errors = import_records([document(price_summary__total_refunded_amount=refund)])

    assert status == 1
    assert [error["field"] for error in errors] == [field]
    assert not Order.objects.exists()


def test_a_net_payment_is_derived_so_never_imported(import_records):
    record = document(price_summary__net_payment_amount={"value": 10.5, "currency": "EUR"})

    status, _, errors = import_records([record])

    assert status == 1
    assert errors == [
        {
            "record": 1,
            "field": "price_summary.net_payment_amount",
            "description": "Derived (final_total_amount - total_refunded_amount): leave it out.",
        }
    ]


def test_statuses_and_refunds_round_trip_byte_identical(import_records, run_command, tmp_path):
    import_records(
        [
            document(
                payment_status="refunded",
                status="Closed – refunded",
                price_summary__total_refunded_amount={"value": 10.5, "currency": "EUR"},
            )
        ]
    )
    _, first, _ = run_command("export_orders")
    (tmp_path / "again.jsonl").write_text(first)

    status, out, _ = run_command("import_orders", str(tmp_path / "again.jsonl"))
    _, second, _ = run_command("export_orders")

    assert (status, json.loads(out)["unchanged"]) == (0, 1)
    assert second == first
    assert '"payment_status":"REFUNDED"' in first


def test_the_base_document_still_imports(import_records):
    assert import_records([BASE])[0] == 0
