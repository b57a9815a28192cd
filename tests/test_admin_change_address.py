from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages

from orders import services
from orders.models import AccessAudit, Address, Order, StatusEvent
from tests.conftest import event
from tests.test_admin_orders import change_url, order_data

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def order(make_order) -> Order:
    return make_order(events=[event("CONFIRMED")])


def new_address(order: Order, **fields) -> Address:
    values = {
        "first_name": "Jane",
        "address": "Rua do Ouro 5",
        "zip_code": "1100-060",
        "city": "Lisbon",
        "region_code": "PT-11",
        "country_code": "PT",
        **fields,
    }
    return Address.objects.create(customer=order.customer, **values)


def post_address(client, order: Order, address: Address):
    data = order_data(
        order.customer,
        order.billing_address,
        external_id=order.external_id,
        order_number=order.order_number,
        original_total_amount="10.50",
        final_total_amount="10.50",
        shipping_address=address.pk,
        **{"items-TOTAL_FORMS": "0", "status_events-TOTAL_FORMS": "0"},
    )
    return client.post(change_url(order), data)


def test_choosing_another_address_goes_through_the_service(admin_client, order):
    address = new_address(order)

    response = post_address(admin_client, order, address)

    assert response.status_code == HTTPStatus.FOUND
    stored = Order.objects.select_related("customer", "shipping_address", "billing_address").get()
    assert stored.shipping_address == address
    assert stored.shipping_address_changed_at is not None
    audit = AccessAudit.objects.get(action="change_shipping_address")
    assert (audit.channel, audit.actor) == ("admin", "admin:admin")
    assert audit.changes["before"]["address"] == "Rua Augusta 1"
    assert audit.changes["after"]["address"] == "Rua do Ouro 5"
    assert StatusEvent.objects.filter(description="Shipping address changed").count() == 1
    assert stored.document == services.render_document(stored)
    assert "will be shipped to" in " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize(
    "setup",
    [
        {"cancellation_status": "CANCELED"},
        {"delivery_type": "LOCAL_PICKUP"},
        {"events": [event("CONFIRMED"), event("ON_ITS_WAY", day=15)]},
    ],
)
def test_an_order_that_may_not_be_redirected_is_refused_with_a_field_error(
    admin_client, make_order, setup
):
    order = make_order(**setup)
    address = new_address(order)
    data_delivery = setup.get("delivery_type", "SHIPPING")

    data = order_data(
        order.customer,
        order.billing_address,
        external_id=order.external_id,
        order_number=order.order_number,
        original_total_amount="10.50",
        final_total_amount="10.50",
        delivery_type=data_delivery,
        shipping_address=address.pk,
        **{"items-TOTAL_FORMS": "0", "status_events-TOTAL_FORMS": "0"},
    )
    response = admin_client.post(change_url(order), data)

    assert response.status_code == HTTPStatus.OK
    errors = response.context["adminform"].form.errors["shipping_address"]
    assert errors[0].startswith("The shipping address can no longer change")
    assert Order.objects.get().shipping_address.address == "Rua Augusta 1"
    assert not AccessAudit.objects.filter(action="change_shipping_address").exists()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"zip_code": "11000"}, "zip_code: Must be a postal code of Portugal"),
        ({"region_code": "ES-MD"}, "region_code: Must be a region of country_code."),
        ({"address": ""}, "address: This field is required."),
    ],
)
def test_an_address_that_breaks_the_address_rules_is_refused(admin_client, order, fields, problem):
    address = new_address(order, **fields)

    response = post_address(admin_client, order, address)

    assert response.status_code == HTTPStatus.OK
    errors = response.context["adminform"].form.errors["shipping_address"]
    assert problem in errors[0]
    assert Order.objects.get().shipping_address.address == "Rua Augusta 1"


def test_without_the_permission_the_shipping_address_is_read_only(staff_client, order):
    client = staff_client("orders.view_order", "orders.change_order")
    address = new_address(order)

    response = post_address(client, order, address)

    assert response.status_code == HTTPStatus.FOUND
    assert Order.objects.get().shipping_address.address == "Rua Augusta 1"
    assert not AccessAudit.objects.filter(action="change_shipping_address").exists()


def test_with_the_permission_staff_may_change_it(staff_client, order):
    client = staff_client(
        "orders.view_order", "orders.change_order", "orders.change_shipping_address"
    )
    address = new_address(order)

    response = post_address(client, order, address)

    assert response.status_code == HTTPStatus.FOUND
    assert Order.objects.get().shipping_address == address


def test_a_parcel_that_left_between_form_and_save_keeps_the_address(
    admin_client, order, monkeypatch
):
    address = new_address(order)

    def shipped_meanwhile(**kwargs):
        raise services.ShippingAddressNotChangeable("left")

    monkeypatch.setattr(services, "order_change_shipping_address", shipped_meanwhile)
    response = post_address(admin_client, order, address)

    assert response.status_code == HTTPStatus.FOUND
    assert Order.objects.get().shipping_address.address == "Rua Augusta 1"
    messages = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "can no longer change" in messages


def test_saving_other_fields_leaves_the_address_alone(admin_client, order):
    response = post_address(admin_client, order, order.shipping_address)

    assert response.status_code == HTTPStatus.FOUND
    assert not AccessAudit.objects.filter(action="change_shipping_address").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("addresses-0-zip_code", "11000", "Must be a postal code of Portugal such as 2725-079."),
        ("addresses-0-region_code", "ES-MD", "Must be a region of country_code."),
        ("addresses-0-country_code", "XX", "Must be an ISO 3166-1 alpha-2 code such as PT."),
        (
            "addresses-0-phone_number",
            "12",
            "Must be a phone number in international form such as +351910000000.",
        ),
    ],
)
def test_the_customer_address_inline_uses_the_same_rules(admin_client, field, value, message):
    from tests.test_admin_customers import ADD, customer_data

    response = admin_client.post(ADD, customer_data(**{field: value}))

    assert response.status_code == HTTPStatus.OK
    formset = response.context["inline_admin_formsets"][0].formset
    assert message in formset.forms[0].errors[field.removeprefix("addresses-0-")]
    assert not Address.objects.exists()
