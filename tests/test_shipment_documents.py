from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from orders import services
from orders.models import Order, Shipment, ShipmentEvent, ShipmentItem
from tests.test_import_orders import BASE, VISA_TEST_PAN, summary

UPS_NUMBER = "1Z999AA10123456784"  # passes UPS's check digit
PARCEL = {
    "id": "parcel-1",
    "carrier": "UPS",
    "tracking_number": UPS_NUMBER,
    "service_level": "UPS Standard",
    "shipping_date": "2021-10-23T12:16:50.078Z",
    "delivery_date_start": "2021-10-25T08:00:00.000Z",
    "delivery_date_end": "2021-10-26T18:00:00.000Z",
    "items": [{"item_id": "item1", "quantity": 1}],
    "status_history": [
        {
            "detailed_type": "IN_TRANSIT",
            "status_date_time": "2021-10-23T12:16:50.078Z",
            "description": "Left the Lisbon hub",
            "location": "Lisbon, PT",
        }
    ],
}

LOST = {"detailed_type": "LOST", "status_date_time": "2021-10-23T12:00:00.000Z"}


def with_parcels(*parcels: dict, **changes) -> dict:
    result = copy.deepcopy(BASE)
    result["items"][0]["quantity"] = 2
    result["shipments"] = [copy.deepcopy(parcel) for parcel in parcels]
    result.update(changes)
    return result


def parcel(**changes) -> dict:
    result = copy.deepcopy(PARCEL)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


@pytest.fixture
def import_one(db):
    """import_one(document) -> (summary, [(field, description)])."""

    def run(document: dict):
        result = services.orders_import(documents=[document])
        return result.summary(), [(error.field, error.description) for error in result.errors]

    return run


def exported() -> dict:
    return next(services.orders_export())


# --- the round trip ------------------------------------------------------------------------------


def test_shipments_are_imported_with_their_items_and_history(import_one):
    assert import_one(with_parcels(PARCEL)) == (summary(created=1), [])

    shipment = Shipment.objects.get()
    assert (shipment.carrier, shipment.tracking_number, shipment.service_level) == (
        "UPS",
        UPS_NUMBER,
        "UPS Standard",
    )
    assert [(line.item.external_id, line.quantity) for line in shipment.lines.all()] == [
        ("item1", 1)
    ]
    assert [(e.detailed_type, e.location) for e in shipment.events.all()] == [
        ("IN_TRANSIT", "Lisbon, PT")
    ]


def test_shipments_export_as_imported(import_one):
    import_one(with_parcels(PARCEL))

    assert exported()["shipments"] == [PARCEL]


def test_a_second_import_of_the_export_changes_nothing(import_one):
    import_one(with_parcels(PARCEL, parcel(id="parcel-2", tracking_number="RR123456785PT")))
    before = Shipment.objects.order_by("pk").values_list("pk", "updated_at")

    assert import_one(exported()) == (summary(unchanged=1), [])
    assert list(Shipment.objects.order_by("pk").values_list("pk", "updated_at")) == list(before)


def test_orders_without_shipments_export_no_shipments_key(import_one):
    import_one(copy.deepcopy(BASE))

    assert "shipments" not in exported()


def test_tracking_numbers_are_stored_without_the_spaces_they_are_printed_with(import_one):
    import_one(with_parcels(parcel(tracking_number="1Z 999 AA1 01 2345 678 4")))

    assert Shipment.objects.get().tracking_number == UPS_NUMBER


def test_a_reimport_keeps_a_parcels_created_time_and_replaces_its_history(import_one):
    import_one(with_parcels(PARCEL))
    created = Shipment.objects.get().created_at
    delivered = {"detailed_type": "DELIVERED", "status_date_time": "2021-10-25T10:00:00.000Z"}

    result = import_one(with_parcels(parcel(status_history=[*PARCEL["status_history"], delivered])))

    shipment = Shipment.objects.get()
    assert result == (summary(updated=1), [])
    assert shipment.created_at == created
    assert shipment.latest_detailed_type == "DELIVERED"
    assert shipment.events.count() == 2


def test_a_parcel_left_out_of_a_reimport_is_removed(import_one):
    import_one(with_parcels(PARCEL, parcel(id="parcel-2")))

    import_one(with_parcels(PARCEL))

    assert list(Shipment.objects.values_list("external_id", flat=True)) == ["parcel-1"]
    assert ShipmentItem.objects.count() == 1


def test_history_is_sorted_oldest_first(import_one):
    events = [
        {"detailed_type": "DELIVERED", "status_date_time": "2021-10-25T10:00:00.000Z"},
        {"detailed_type": "IN_TRANSIT", "status_date_time": "2021-10-23T10:00:00.000Z"},
    ]
    import_one(with_parcels(parcel(status_history=events)))

    assert [e["detailed_type"] for e in exported()["shipments"][0]["status_history"]] == [
        "IN_TRANSIT",
        "DELIVERED",
    ]


# --- every rule: a clear error and nothing saved ----------------------------------------------


def rejected(import_one, document: dict) -> list[tuple[str, str]]:
    result, errors = import_one(document)
    assert result == summary(rejected=1)
    assert Order.objects.count() == 0
    assert Shipment.objects.count() == 0
    return errors


@pytest.mark.parametrize(
    ("changes", "field", "description"),
    [
        (
            {"items": [{"item_id": "item-of-another-order", "quantity": 1}]},
            "shipments.0.items.0.item_id",
            "Must be the id of an item of this order.",
        ),
        (
            {"items": [{"item_id": "item1", "quantity": 3}]},
            "shipments.0.items.0.quantity",
            "Shipped quantity (3) is more than the ordered quantity (2).",
        ),
        (
            {"items": [{"item_id": "item1", "quantity": 0}]},
            "shipments.0.items.0.quantity",
            "Must be between 1 and 100.",
        ),
        (
            {"items": [{"item_id": "item1", "quantity": 1}, {"item_id": "item1", "quantity": 1}]},
            "shipments.0.items.1.item_id",
            "Listed twice in this shipment.",
        ),
        (
            {"items": [{"item_id": "item1"}]},
            "shipments.0.items.0.quantity",
            "This field is required.",
        ),
        (
            {"tracking_url": "http://www.ups.com/track?n=1"},
            "shipments.0.tracking_url",
            "Must be an absolute https URL.",
        ),
        (
            {"tracking_url": "javascript:alert(1)"},
            "shipments.0.tracking_url",
            "Must be an absolute https URL.",
        ),
        (
            {"tracking_number": "1Z<script>"},
            "shipments.0.tracking_number",
            "Must be 3-64 letters, digits or dashes (spaces are ignored).",
        ),
        (
            {"delivery_date_end": "2021-10-24T08:00:00.000Z"},
            "shipments.0.delivery_date_end",
            "Must not be before delivery_date_start.",
        ),
        (
            {"shipping_date": "yesterday"},
            "shipments.0.shipping_date",
            "Must be an RFC 3339 timestamp such as 2021-09-14T12:16:50.078Z.",
        ),
        (
            {"status_history": [LOST]},
            "shipments.0.status_history.0.detailed_type",
            "Must be one of UNKNOWN, ATTEMPTED_DELIVERY, READY_FOR_PICKUP, PICKED_UP, CONFIRMED, "
            "IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, FAILURE.",
        ),
        (
            {"status_history": [{"detailed_type": "DELIVERED"}]},
            "shipments.0.status_history.0.status_date_time",
            "This field is required.",
        ),
        (
            {"weight": "2 kg"},
            "shipments.0.weight",
            "Unknown field.",
        ),
        (
            {"shipments": []},
            "shipments.0.shipments",
            "Unknown field.",
        ),
        (
            {"id": "parcel one"},
            "shipments.0.id",
            "Must be 1-128 characters from A-Z a-z 0-9 . _ ~ : @ -",
        ),
        (
            {"carrier": "x" * 129},
            "shipments.0.carrier",
            "Must be at most 128 characters.",
        ),
    ],
)  # fmt: skip
def test_a_bad_shipment_is_rejected_by_field(import_one, changes, field, description):
    errors = rejected(import_one, with_parcels(parcel(**changes)))

    assert errors == [(field, description)]


def test_shipped_quantity_is_summed_over_split_shipments(import_one):
    errors = rejected(import_one, with_parcels(PARCEL, parcel(id="parcel-2"), parcel(id="p3")))

    assert errors == [
        (
            "shipments.2.items.0.quantity",
            "Shipped quantity (3) is more than the ordered quantity (2).",
        )
    ]


def test_shipment_ids_are_unique_within_an_order(import_one):
    errors = rejected(import_one, with_parcels(PARCEL, PARCEL))

    assert errors == [("shipments.1.id", "Duplicate shipment id in this order.")]


def test_shipments_must_be_a_list(import_one):
    errors = rejected(import_one, with_parcels(shipments=None) | {"shipments": {"id": "p"}})

    assert errors == [("shipments", "Must be a JSON array.")]


@pytest.mark.parametrize("field", ["carrier", "service_level"])
def test_a_card_number_in_shipment_text_is_rejected_and_not_echoed(import_one, field):
    errors = rejected(import_one, with_parcels(parcel(**{field: f"card {VISA_TEST_PAN}"})))

    assert errors == [
        (
            f"shipments.0.{field}",
            "Looks like a full payment card number; only the last four digits may be stored.",
        )
    ]
    assert VISA_TEST_PAN not in repr(errors)


@pytest.mark.parametrize("field", ["description", "location"])
def test_a_card_number_in_a_parcel_event_is_rejected(import_one, field):
    event = {**PARCEL["status_history"][0], field: VISA_TEST_PAN}

    errors = rejected(import_one, with_parcels(parcel(status_history=[event])))

    assert [path for path, _ in errors] == [f"shipments.0.status_history.0.{field}"]


def test_a_card_number_in_a_tracking_url_is_rejected(import_one):
    url = f"https://track.example.com/?n={UPS_NUMBER}&card={VISA_TEST_PAN}"

    errors = rejected(import_one, with_parcels(parcel(tracking_url=url)))

    assert errors == [
        (
            "shipments.0.tracking_url",
            "Looks like a full payment card number; only the last four digits may be stored.",
        )
    ]


def test_a_long_digit_tracking_number_in_its_own_url_is_not_taken_for_a_card(import_one):
    # 16 digits passing Luhn: a plausible Canada Post number, and the URL carries it.
    url = f"https://track.example.com/?n={VISA_TEST_PAN}"

    result, errors = import_one(
        with_parcels(parcel(carrier="Canada Post", tracking_number=VISA_TEST_PAN, tracking_url=url))
    )

    assert (result, errors) == (summary(created=1), [])


def test_a_parcel_may_list_no_items_and_no_history(import_one):
    result, errors = import_one(with_parcels({"id": "bare", "items": [], "status_history": []}))

    assert (result, errors) == (summary(created=1), [])
    assert exported()["shipments"] == [{"id": "bare", "items": [], "status_history": []}]


def test_a_rejected_record_leaves_the_stored_parcels_alone(import_one):
    import_one(with_parcels(PARCEL))

    result, _ = import_one(with_parcels(parcel(items=[{"item_id": "item1", "quantity": 9}])))

    assert result == summary(rejected=1)
    assert ShipmentItem.objects.get().quantity == 1
    assert ShipmentEvent.objects.count() == 1


# --- derived values kept by order_refresh ------------------------------------------------------


@pytest.mark.parametrize(
    ("parcels", "status"),
    [
        ([], "UNFULFILLED"),
        ([parcel(items=[])], "UNFULFILLED"),
        ([PARCEL], "PARTIALLY_FULFILLED"),
        ([parcel(items=[{"item_id": "item1", "quantity": 2}])], "FULFILLED"),
        ([PARCEL, parcel(id="parcel-2")], "FULFILLED"),
    ],
)
def test_fulfillment_status_compares_shipped_with_ordered(import_one, parcels, status):
    import_one(with_parcels(*parcels))

    assert Order.objects.get().fulfillment_status == status


def test_an_order_without_items_is_fulfilled_once_a_parcel_exists(import_one):
    document = with_parcels(parcel(items=[]))
    document["items"] = []

    import_one(document)

    assert Order.objects.get().fulfillment_status == "FULFILLED"


def test_delivery_status_is_the_latest_parcels_detailed_type(import_one):
    delivered = parcel(
        id="first",
        shipping_date="2021-10-20T10:00:00.000Z",
        status_history=[{"detailed_type": "DELIVERED", "status_date_time": "2021-10-24T10:00:00Z"}],
    )
    sent_later = parcel(id="second")  # shipped 2021-10-23, in transit

    import_one(with_parcels(sent_later, delivered))

    assert Order.objects.get().delivery_status == "IN_TRANSIT"


def test_the_stored_document_carries_fulfillment_and_delivery_status(import_one):
    import_one(with_parcels(PARCEL))

    order = Order.objects.get()
    assert order.document == services.render_document(order)
    assert '"fulfillment_status":"PARTIALLY_FULFILLED","delivery_status":"IN_TRANSIT"' in (
        order.document
    )


def test_an_order_without_parcels_has_no_delivery_status(import_one):
    import_one(copy.deepcopy(BASE))

    assert '"delivery_status"' not in Order.objects.get().document


def test_a_parcels_latest_event_is_kept_on_it(import_one):
    events = [
        {"detailed_type": "IN_TRANSIT", "status_date_time": "2021-10-23T10:00:00.000Z"},
        {
            "detailed_type": "ATTEMPTED_DELIVERY",
            "status_date_time": "2021-10-24T10:00:00.000Z",
            "description": "Nobody at home",
            "location": "Lisbon",
        },
    ]
    import_one(with_parcels(parcel(status_history=events)))

    shipment = Shipment.objects.get()
    assert (
        shipment.latest_detailed_type,
        shipment.latest_status_at,
        shipment.latest_status_description,
        shipment.latest_status_location,
    ) == ("ATTEMPTED_DELIVERY", datetime(2021, 10, 24, 10, tzinfo=UTC), "Nobody at home", "Lisbon")
