from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils.functional import lazystr

from orders.models import Customer, Order, OrderItem, StatusEvent
from orders.services import bulk

SINCE = datetime(2021, 9, 14, 12, 16, 50, 78000, tzinfo=UTC)


def customer(external_id: str, **values) -> Customer:
    return Customer(
        external_id=external_id,
        first_name=lazystr("Maria"),  # not a str: goes through the field
        last_name="Silva",
        customer_since=SINCE,
        custom_fields={"tier": "gold", "since": 2019, "ratio": 0.5},
        **values,
    )


def stored(external_id: str) -> dict:
    row = Customer.objects.values().get(external_id=external_id)
    del row["id"], row["external_id"], row["created_at"], row["updated_at"]
    return row


def test_insert_stores_what_bulk_create_stores_and_sets_primary_keys(db):
    ours, django_s = customer("ours"), customer("django")

    bulk.insert([ours])
    Customer.objects.bulk_create([django_s])

    assert ours.pk is not None
    assert not ours._state.adding
    assert Customer.objects.get(pk=ours.pk).external_id == "ours"
    assert stored("ours") == stored("django")
    assert stored("ours")["custom_fields"] == {"tier": "gold", "since": 2019, "ratio": 0.5}
    assert stored("ours")["customer_since"] == SINCE


def test_insert_fills_a_foreign_key_from_the_instance_saved_before(db):
    owner = customer("owner")
    bulk.insert([owner])
    order = Order(external_id="o1", order_number="#1", customer=owner)  # before owner had an id

    bulk.insert([order])

    assert Order.objects.get(pk=order.pk).customer_id == owner.pk


def test_insert_refuses_a_row_whose_related_instance_is_not_saved(db):
    order = Order(external_id="o1", order_number="#1", customer=customer("unsaved"))

    with pytest.raises(ValueError, match="customer of a Order is not saved yet"):
        bulk.insert([order])


def test_insert_rows_takes_defaults_for_columns_left_out_and_returns_keys_in_order(db):
    owner = customer("owner")
    bulk.insert([owner])
    order = Order(external_id="o1", order_number="#1", customer=owner)
    bulk.insert([order])
    at = datetime(2024, 1, 1, tzinfo=UTC)

    ids = bulk.insert_rows(
        StatusEvent,
        ("order_id", "generic_type", "status_date_time"),
        [(order.pk, "CONFIRMED", at), (order.pk, "ON_ITS_WAY", at)],
    )

    events = StatusEvent.objects.order_by("id")
    assert ids == [event.pk for event in events]
    assert [(e.generic_type, e.detailed_type, e.is_local, e.status_date_time) for e in events] == [
        ("CONFIRMED", "", False, at),
        ("ON_ITS_WAY", "", False, at),
    ]


def test_insert_rows_needs_every_column_whose_default_is_computed(db):
    with pytest.raises(ValueError, match=r"^Customer\.custom_fields needs a value in every row"):
        bulk.insert_rows(Customer, ("external_id",), [("c1",)])


def test_update_writes_each_rows_own_values_and_nothing_else(db):
    first, second = customer("first"), customer("second")
    bulk.insert([first, second])
    first.custom_fields, first.customer_since = {"tier": "silver"}, None
    second.custom_fields = {"tier": "bronze"}
    second.last_name = "not written"

    bulk.update([first, second], ["custom_fields", "customer_since"])

    assert stored("first")["custom_fields"] == {"tier": "silver"}
    assert stored("first")["customer_since"] is None
    assert stored("second")["custom_fields"] == {"tier": "bronze"}
    assert (stored("second")["customer_since"], stored("second")["last_name"]) == (SINCE, "Silva")


def test_reserved_ids_are_the_ones_rows_are_inserted_with(db):
    owner = customer("owner")
    bulk.insert([owner])
    order = Order(external_id="o1", order_number="#1", customer=owner)
    bulk.insert([order])

    reserved = bulk.reserve_ids(OrderItem, 2)

    if connection.vendor != "postgresql":
        assert reserved == []  # SQLite has no sequence: rows get their keys on insert
        return
    row = ("a", "Item", "", 1, Decimal("1.50"), "EUR", "", "")
    names = ("id", "order_id", "external_id", "name", "sku", "quantity", "price", "currency")
    names += ("image_url", "description")
    ids = bulk.insert_rows(
        OrderItem,
        names,
        [(reserved[0], order.pk, *row), (reserved[1], order.pk, "b", *row[1:])],
    )
    assert ids == reserved
    assert list(OrderItem.objects.order_by("id").values_list("id", "price")) == [
        (reserved[0], Decimal("1.50")),
        (reserved[1], Decimal("1.50")),
    ]
