from __future__ import annotations

import json

import pytest

from orders.models import Customer, Order
from orders.rules import custom_fields
from tests.test_import_orders import VISA_TEST_PAN, document

ORDER = "/erc/ecommerce/customers/customer123/orders/order123"
FIELDS = {"loyalty_tier": "gold", "gift": True, "points": 1200, "rating": 4.5}


@pytest.fixture
def import_records(run_command, tmp_path):
    def run(records: list):
        path = tmp_path / "orders.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in records))
        status, out, err = run_command("import_orders", str(path))
        return status, json.loads(out), err

    return run


def fields_of(err: str) -> list[str]:
    return [json.loads(line)["field"] for line in err.splitlines()]


# --- import, export, API ---------------------------------------------------------------------


def test_order_and_customer_custom_fields_are_imported(import_records):
    status, _, err = import_records(
        [document(custom_fields=FIELDS, customer__custom_fields={"segment": "vip"})]
    )

    assert (status, err) == (0, "")
    assert Order.objects.get().custom_fields == FIELDS
    assert Customer.objects.get().custom_fields == {"segment": "vip"}


def test_the_api_serves_them_with_keys_in_code_point_order(client, read_auth, make_order):
    make_order(custom_fields={"b": "2", "a": "1", "B": True})

    response = client.get(ORDER, **read_auth)

    assert response.json()["custom_fields"] == {"B": True, "a": "1", "b": "2"}
    assert b'"custom_fields":{"B":true,"a":"1","b":"2"}' in response.content


def test_no_custom_fields_means_no_key(client, read_auth, make_order):
    make_order()

    assert "custom_fields" not in client.get(ORDER, **read_auth).json()


def test_custom_fields_round_trip_byte_identical(import_records, run_command, tmp_path):
    import_records([document(custom_fields=FIELDS, customer__custom_fields={"z": 1.25, "a": "x"})])
    _, first, _ = run_command("export_orders")
    (tmp_path / "again.jsonl").write_text(first)

    status, out, _ = run_command("import_orders", str(tmp_path / "again.jsonl"))
    _, second, _ = run_command("export_orders")

    assert (status, json.loads(out)["unchanged"]) == (0, 1)
    assert second == first
    assert '"custom_fields":{"gift":true,"loyalty_tier":"gold","points":1200,"rating":4.5}' in first


def test_changing_a_custom_field_updates_the_order(import_records):
    import_records([document(custom_fields={"tier": "gold"})])

    _, result, _ = import_records([document(custom_fields={"tier": "silver"})])

    assert result["updated"] == 1
    assert Order.objects.get().custom_fields == {"tier": "silver"}


def test_leaving_them_out_clears_them(import_records):
    import_records([document(custom_fields={"tier": "gold"})])

    import_records([document()])

    assert Order.objects.get().custom_fields == {}


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("gold", "custom_fields"),
        (["gold"], "custom_fields"),
        ({"tier": {"level": 1}}, "custom_fields.tier"),
        ({"tier": ["a"]}, "custom_fields.tier"),
        ({"tier": None}, "custom_fields.tier"),
        ({"tier": "x" * 501}, "custom_fields.tier"),
        ({"tier": "a\x00b"}, "custom_fields.tier"),
        ({"": "empty key"}, "custom_fields"),
        ({"k" * 65: "long key"}, "custom_fields"),
        ({"line\nbreak": "x"}, "custom_fields"),
        ({"n": 1234567890123456}, "custom_fields.n"),
        ({f"k{n}": n for n in range(51)}, "custom_fields"),
        ({f"k{n}": "x" * 400 for n in range(25)}, "custom_fields"),
    ],
)
def test_bad_custom_fields_reject_the_record(import_records, value, field):
    status, result, err = import_records([document(custom_fields=value)])

    assert (status, result["rejected"]) == (1, 1)
    assert set(fields_of(err)) == {field}
    assert not Order.objects.exists()


def test_bad_customer_custom_fields_are_named_by_path(import_records):
    status, _, err = import_records([document(customer__custom_fields={"tier": {"x": 1}})])

    assert (status, fields_of(err)) == (1, ["customer.custom_fields.tier"])
    assert not Customer.objects.exists()


@pytest.mark.parametrize("key", ["note", "phone_number", "id", "zip_code"])
def test_a_card_number_in_a_value_is_rejected_whatever_the_key(import_records, caplog, key):
    status, _, err = import_records([document(custom_fields={key: f"card {VISA_TEST_PAN}"})])

    assert status == 1
    assert fields_of(err) == [f"custom_fields.{key}"]
    assert VISA_TEST_PAN not in err + caplog.text
    assert not Order.objects.exists()


def test_a_card_number_as_a_key_is_rejected_and_never_echoed(import_records, caplog):
    status, _, err = import_records([document(custom_fields={VISA_TEST_PAN: VISA_TEST_PAN})])

    assert status == 1
    assert set(fields_of(err)) == {"custom_fields.<redacted>"}
    assert VISA_TEST_PAN not in err + caplog.text
    assert not Order.objects.exists()


def test_the_rule_keeps_numbers_exact():
    fields, problems = custom_fields.check({"a": 2, "b": 0.1, "c": 1e-7, "d": False})

    assert problems == []
    assert json.dumps(fields) == '{"a": 2, "b": 0.1, "c": 1e-07, "d": false}'
