from __future__ import annotations

import json

import pytest

from orders import documents as order_documents
from orders.models import Order
from orders.services import imports, validation
from tests.test_import_orders import BASE, document, summary

# A file bigger than one chunk is validated by a second process; with chunks of two records
# these seven records take that path.
RECORDS = [
    json.dumps(BASE),
    json.dumps(document(id="order2", order_number="#2", items__0__quantity=0)),
    "{not json",
    json.dumps(document(id="order3", order_number="#3")),
    json.dumps(document(id="order4", order_number="#Y34DHR")),  # the first order's number
    json.dumps(document(id="order5", order_number="#5", cvv="123")),
    json.dumps(document(id="order6", order_number="#6")),
]
EXPECTED_ERRORS = [
    {"record": 2, "field": "items.0.quantity", "description": "Must be between 1 and 100."},
    {
        "record": 3,
        "field": "",
        "description": "Not valid JSON: Expecting property name "
        "enclosed in double quotes (line 1, column 2).",
    },
    {
        "record": 5,
        "field": "order_number",
        "description": "Another order of this customer already has this order_number.",
    },
    {"record": 6, "field": "cvv", "description": "Unknown field."},
]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_CHUNK", 2)


@pytest.fixture
def children(monkeypatch):
    """How many times the import validated in a second process."""
    started = []
    real = validation._in_child

    def counting(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(validation, "_in_child", counting)
    return started


def run(run_command, tmp_path, lines: list[str]):
    path = tmp_path / "orders.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    status, out, err = run_command("import_orders", str(path))
    return status, json.loads(out), [json.loads(line) for line in err.splitlines()]


def test_a_big_file_is_validated_in_a_second_process_with_the_same_outcomes(
    run_command, tmp_path, small_chunks, children
):
    status, result, errors = run(run_command, tmp_path, RECORDS)

    assert children == [1]
    assert status == 1
    assert result == summary(created=3, rejected=4)
    assert errors == EXPECTED_ERRORS
    assert sorted(Order.objects.values_list("external_id", flat=True)) == [
        "order123",
        "order3",
        "order6",
    ]


def test_a_file_of_one_chunk_is_validated_in_the_importing_process(
    run_command, tmp_path, monkeypatch, children
):
    monkeypatch.setattr(imports, "IMPORT_CHUNK", len(RECORDS))

    status, result, errors = run(run_command, tmp_path, RECORDS)

    assert children == []
    assert (status, result, errors) == (1, summary(created=3, rejected=4), EXPECTED_ERRORS)


def test_the_service_validates_in_process_unless_asked(db, small_chunks, children):
    result = imports.orders_import(documents=[BASE, document(id="o2", order_number="#2")] * 2)

    assert children == []
    assert result.summary() == summary(created=2, unchanged=2)


def test_a_failure_in_the_validating_process_stops_the_import_with_its_traceback(
    run_command, tmp_path, small_chunks, monkeypatch
):
    real = order_documents.normalize

    def broken(value):
        if value["id"] == "order6":
            raise RuntimeError("a bug in a rule")
        return real(value)

    monkeypatch.setattr(order_documents, "normalize", broken)

    with pytest.raises(validation.ValidationFailed, match="RuntimeError: a bug in a rule"):
        run(run_command, tmp_path, RECORDS)
    # The chunks validated before it were written, as when validating in one process.
    assert Order.objects.filter(external_id="order3").exists()
    assert not Order.objects.filter(external_id="order6").exists()


def test_a_validating_process_that_dies_is_a_clear_error(tmp_path, small_chunks, monkeypatch, db):
    import os

    def dying(value):
        os._exit(3)

    monkeypatch.setattr(order_documents, "normalize", dying)
    records = [order_documents.RawRecord(n, BASE) for n in range(1, 4)]

    with pytest.raises(validation.ValidationFailed, match="exit code 3"):
        imports.orders_import(documents=records, parallel=True)
    assert not Order.objects.exists()
