from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from orders import services
from orders.models import Order, Shipment, ShipmentEvent, ShipmentItem
from tests.test_admin_orders import CARD, order_data

ORDERS = reverse("admin:orders_order_changelist")
SHIPMENTS = reverse("admin:orders_shipment_changelist")
UPS = "1Z999AA10123456784"


@pytest.fixture
def order(make_order):
    return make_order(
        items=[
            {"name": "Shirt", "quantity": 2, "price": Decimal("10")},
            {"name": "Hat", "quantity": 1, "price": Decimal("5")},
        ]
    )


@pytest.fixture
def parcel(order, make_shipment):
    return make_shipment(order, lines=[(order.items.get(name="Shirt"), 1)])


def shipment_url(shipment: Shipment) -> str:
    return reverse("admin:orders_shipment_change", args=[shipment.pk])


def shipment_data(shipment: Shipment, **overrides) -> dict:
    """The POST of a parcel's page: its fields, its lines and its history as stored."""
    data = {
        "external_id": shipment.external_id,
        "position": str(shipment.position),
        "carrier": shipment.carrier,
        "service_level": shipment.service_level,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "shipping_date_0": "2021-10-23",
        "shipping_date_1": "12:00:00",
        "delivery_date_start_0": "",
        "delivery_date_start_1": "",
        "delivery_date_end_0": "",
        "delivery_date_end_1": "",
        "lines-TOTAL_FORMS": str(shipment.lines.count()),
        "lines-INITIAL_FORMS": str(shipment.lines.count()),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(shipment.lines.all()):
        data |= {
            f"lines-{index}-id": str(line.pk),
            f"lines-{index}-shipment": str(shipment.pk),
            f"lines-{index}-item": str(line.item_id),
            f"lines-{index}-quantity": str(line.quantity),
        }
    return {**data, **overrides}


def form_errors(response) -> dict:
    return dict(response.context["adminform"].form.errors)


def inline_errors(response) -> list:
    return [
        (inline.formset.errors, inline.formset.non_form_errors())
        for inline in response.context["inline_admin_formsets"]
    ]


# --- the orders list -------------------------------------------------------------------------


def test_orders_can_be_filtered_by_fulfillment_status(admin_client, order, parcel, make_order):
    make_order("order-unshipped")

    response = admin_client.get(ORDERS, {"fulfillment_status__exact": "PARTIALLY_FULFILLED"})

    assert [o.external_id for o in response.context["cl"].result_list] == ["order123"]
    assert b"fulfillment status" in response.content


@pytest.mark.parametrize("typed", [UPS, UPS.lower(), "1Z 999 AA1 01 2345 678 4"])
def test_orders_are_found_by_tracking_number(admin_client, parcel, make_order, typed):
    make_order("order-other")

    response = admin_client.get(ORDERS, {"q": typed})

    assert [o.external_id for o in response.context["cl"].result_list] == ["order123"]


def test_the_orders_list_still_costs_seven_queries(admin_client, parcel, django_assert_num_queries):
    with django_assert_num_queries(7):
        admin_client.get(ORDERS)


# --- the order's page ------------------------------------------------------------------------


def test_the_order_page_shows_its_parcels_inline_with_items_and_status(admin_client, parcel):
    parcel.events.create(
        detailed_type="IN_TRANSIT", status_date_time=datetime(2021, 10, 23, 13, tzinfo=UTC)
    )
    services.order_refresh(order=parcel.order)

    response = admin_client.get(reverse("admin:orders_order_change", args=[parcel.order_id]))

    page = response.content.decode()
    assert UPS in page
    assert "1 × Shirt" in page
    assert "IN_TRANSIT at 2021-10-23 13:00 UTC" in page
    assert shipment_url(parcel) in page  # the parcel's own page edits items and history


def test_editing_a_parcel_inline_on_the_order_refreshes_the_stored_document(
    admin_client, order, parcel
):
    data = order_data(
        order.customer,
        order.shipping_address,
        external_id="order123",
        original_total_amount="10.50",
        final_total_amount="10.50",
        **{
            "items-TOTAL_FORMS": "0",
            "status_events-TOTAL_FORMS": "0",
            "shipments-TOTAL_FORMS": "1",
            "shipments-INITIAL_FORMS": "1",
            "shipments-0-id": str(parcel.pk),
            "shipments-0-order": str(order.pk),
            "shipments-0-external_id": parcel.external_id,
            "shipments-0-carrier": "DHL",
            "shipments-0-tracking_number": "1234567891",
            "shipments-0-tracking_url": "",
            "shipments-0-service_level": "",
        },
    )
    # Items and their lines are not part of this POST: keep them.
    data.pop("items-TOTAL_FORMS")
    data |= {
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "2",
    }
    for index, item in enumerate(order.items.order_by("position")):
        data |= {
            f"items-{index}-id": str(item.pk),
            f"items-{index}-order": str(order.pk),
            f"items-{index}-position": str(item.position),
            f"items-{index}-external_id": item.external_id,
            f"items-{index}-name": item.name,
            f"items-{index}-quantity": str(item.quantity),
            f"items-{index}-price": str(item.price),
            f"items-{index}-currency": "EUR",
        }

    response = admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), data)

    assert response.status_code == HTTPStatus.FOUND, inline_errors(response)
    parcel.refresh_from_db()
    assert (parcel.carrier, parcel.tracking_number) == ("DHL", "1234567891")
    order.refresh_from_db()
    assert order.document == services.render_document(order)


def test_an_items_quantity_cannot_drop_below_what_its_parcels_hold(admin_client, order, parcel):
    shirt = order.items.get(name="Shirt")
    data = order_data(
        order.customer,
        order.shipping_address,
        external_id="order123",
        **{
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "1",
            "items-0-id": str(shirt.pk),
            "items-0-order": str(order.pk),
            "items-0-external_id": shirt.external_id,
            "items-0-quantity": "1",
            "items-0-price": "10",
            "status_events-TOTAL_FORMS": "0",
        },
    )
    ShipmentItem.objects.filter(item=shirt).update(quantity=2)

    response = admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), data)

    assert response.status_code == HTTPStatus.OK
    assert "2 of this item are in the order's shipments" in str(inline_errors(response))
    assert order.items.get(name="Shirt").quantity == 2


# --- a parcel's page: its items and history ------------------------------------------------


def test_adding_items_and_history_on_the_parcels_page_updates_the_order(
    admin_client, order, parcel
):
    hat = order.items.get(name="Hat")
    data = shipment_data(
        parcel,
        **{
            "lines-TOTAL_FORMS": "2",
            "lines-0-quantity": "2",
            "lines-1-item": str(hat.pk),
            "lines-1-quantity": "1",
            "events-TOTAL_FORMS": "1",
            "events-0-status_date_time_0": "2021-10-24",
            "events-0-status_date_time_1": "10:00:00",
            "events-0-detailed_type": "DELIVERED",
            "events-0-description": "Left at the door",
            "events-0-location": "Lisbon",
        },
    )

    response = admin_client.post(shipment_url(parcel), data)

    assert response.status_code == HTTPStatus.FOUND, inline_errors(response)
    assert ShipmentItem.objects.filter(shipment=parcel).count() == 2
    order.refresh_from_db()
    assert (order.fulfillment_status, order.delivery_status) == ("FULFILLED", "DELIVERED")
    assert order.document == services.render_document(order)


def test_more_than_ordered_is_a_field_error_and_nothing_is_saved(admin_client, order, parcel):
    other = Shipment.objects.create(order=order, external_id="p2", position=1)
    ShipmentItem.objects.create(shipment=other, item=order.items.get(name="Shirt"), quantity=1)

    response = admin_client.post(
        shipment_url(parcel), shipment_data(parcel, **{"lines-0-quantity": "2"})
    )

    assert response.status_code == HTTPStatus.OK
    assert "Shipped quantity (3) is more than the ordered quantity (2)." in str(
        inline_errors(response)
    )
    assert parcel.lines.get().quantity == 1


def test_only_the_orders_own_items_are_offered(admin_client, parcel, make_order):
    other = make_order("order-other", items=[{"name": "Other", "quantity": 1, "price": 1}])

    response = admin_client.post(
        shipment_url(parcel),
        shipment_data(parcel, **{"lines-0-item": str(other.items.get().pk)}),
    )

    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in str(inline_errors(response))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tracking_url", "http://www.ups.com/track", "Must be an absolute https URL."),
        ("tracking_number", "1Z<b>", "Must be 3-64 letters, digits or dashes"),
        ("carrier", f"UPS {CARD}", "Looks like a full payment card number"),
        ("delivery_date_end_0", "2021-10-01", "Must not be before delivery_date_start."),
    ],
)
def test_bad_parcel_fields_are_field_errors(admin_client, parcel, field, value, message):
    data = shipment_data(
        parcel,
        delivery_date_start_0="2021-10-25",
        delivery_date_start_1="09:00:00",
        delivery_date_end_0="2021-10-25",
        delivery_date_end_1="18:00:00",
    )
    data[field] = value

    response = admin_client.post(shipment_url(parcel), data)

    assert response.status_code == HTTPStatus.OK
    assert message in str(form_errors(response))
    assert CARD not in response.content.decode()
    assert Shipment.objects.get().carrier == "UPS"


def test_a_card_number_in_a_parcel_event_is_refused(admin_client, parcel):
    data = shipment_data(
        parcel,
        **{
            "events-TOTAL_FORMS": "1",
            "events-0-status_date_time_0": "2021-10-24",
            "events-0-status_date_time_1": "10:00:00",
            "events-0-detailed_type": "DELIVERED",
            "events-0-description": f"card {CARD}",
        },
    )

    response = admin_client.post(shipment_url(parcel), data)

    assert response.status_code == HTTPStatus.OK
    assert CARD not in response.content.decode()
    assert ShipmentEvent.objects.count() == 0


def test_tracking_numbers_are_saved_without_spaces(admin_client, parcel):
    data = shipment_data(parcel, tracking_number="1Z 999 AA1 01 2345 678 4")

    admin_client.post(shipment_url(parcel), data)

    assert Shipment.objects.get().tracking_number == UPS


@pytest.mark.parametrize("typed", [UPS.lower(), "order123", "order123-p1"])
def test_parcels_are_found_by_tracking_number_order_or_id(admin_client, parcel, typed):
    response = admin_client.get(SHIPMENTS, {"q": typed})

    assert list(response.context["cl"].result_list) == [parcel]


def test_deleting_a_parcel_refreshes_its_order(admin_client, order, parcel):
    response = admin_client.post(
        reverse("admin:orders_shipment_delete", args=[parcel.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FOUND
    order = Order.objects.get()
    assert order.fulfillment_status == "UNFULFILLED"
    assert order.document == services.render_document(order)
