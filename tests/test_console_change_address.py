from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orders.models import AccessAudit, Address, Order, StatusEvent
from tests.conftest import content, event

ORDER_URL = "/agent/customers/customer123/orders/order123"
CHANGE_URL = ORDER_URL + "/change-address"
HX = {"HTTP_HX_REQUEST": "true"}
BUTTON = f'href="{CHANGE_URL}" hx-get="{CHANGE_URL}"'
NEW = {
    "first_name": "Jane",
    "last_name": "Roe",
    "country_code": "US",
    "region_code": "US-KY",
    "address": "200 W Main St",
    "zip_code": "40202",
    "city": "Louisville",
    "phone_number": "(502) 555-0100",
}
VISA_TEST_PAN = "4111 1111 1111 1111"


@pytest.fixture
def confirmed_order(make_order) -> Order:
    return make_order(order_number="#Y34DHR", events=[event("CONFIRMED", "CONFIRMED", 14)])


def shipping(order_id: str = "order123") -> Address:
    return Order.objects.get(external_id=order_id).shipping_address


# --- The button ---------------------------------------------------------------------------


def test_agents_see_the_change_address_button(agent_client, confirmed_order):
    page = content(agent_client.get(ORDER_URL))

    assert BUTTON in page
    assert ">Change address<" in page


@pytest.mark.parametrize(
    "setup",
    [
        {"cancellation_status": "CANCELED"},
        {"delivery_type": "LOCAL_PICKUP"},
        {"events": [event("CONFIRMED"), event("ON_ITS_WAY", day=15)]},
    ],
)
def test_no_button_when_the_address_may_not_change(agent_client, make_order, setup):
    make_order(**setup)

    assert CHANGE_URL not in content(agent_client.get(ORDER_URL))


def test_no_button_without_the_permission(client, confirmed_order):
    user = User.objects.create_user("viewer")
    user.user_permissions.add(*_view_permissions())
    client.force_login(user)

    page = content(client.get(ORDER_URL))

    assert CHANGE_URL not in page


def _view_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="orders", codename="view_order")


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_form_is_403_without_the_permission(client, confirmed_order, method):
    user = User.objects.create_user("viewer")
    user.user_permissions.add(*_view_permissions())
    client.force_login(user)

    response = getattr(client, method)(CHANGE_URL, NEW)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert shipping().city == "Lisbon"


def test_signed_out_agents_are_sent_to_the_login_page(client, confirmed_order):
    response = client.post(CHANGE_URL, NEW)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
    assert shipping().city == "Lisbon"


# --- The form -----------------------------------------------------------------------------


def test_the_form_page_is_prefilled_with_the_current_address(agent_client, confirmed_order):
    response = agent_client.get(CHANGE_URL)

    page = content(response)
    assert response.status_code == HTTPStatus.OK
    assert "<html" in page
    assert 'name="address" value="Rua Augusta 1"' in page
    assert '<option value="PT" selected>Portugal</option>' in page
    assert '<option value="PT-11" selected>Lisboa (PT-11)</option>' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_with_htmx_the_form_alone_is_sent(agent_client, confirmed_order):
    response = agent_client.get(CHANGE_URL, **HX)

    page = content(response)
    assert response.status_code == HTTPStatus.OK
    assert "<html" not in page
    assert page.lstrip().startswith('<form id="address-form"')
    assert response["Vary"].count("HX-Request") == 1


def test_showing_the_form_is_audited(agent_client, confirmed_order):
    agent_client.get(CHANGE_URL, **HX)

    audit = AccessAudit.objects.get()
    assert (audit.action, audit.detail) == ("view_order", "change address page")


def test_the_region_picker_follows_the_country(agent_client, confirmed_order):
    response = agent_client.get(CHANGE_URL, {"country_code": "US"}, **HX)

    page = content(response)
    assert page.lstrip().startswith('<div class="field" id="address-region-field">')
    assert '<option value="US-KY">Kentucky (US-KY)</option>' in page
    assert "PT-11" not in page


def test_the_region_picker_is_localised(agent_client, confirmed_order):
    page = content(
        agent_client.get(CHANGE_URL, {"country_code": "PT"}, HTTP_ACCEPT_LANGUAGE="pt-PT", **HX)
    )

    assert "Escolha uma região…" in page


def test_without_javascript_the_regions_follow_the_country_on_a_round_trip(
    agent_client, confirmed_order
):
    response = agent_client.post(CHANGE_URL, {**NEW, "update_regions": "1", "region_code": ""})

    page = content(response)
    assert response.status_code == HTTPStatus.OK
    assert '<option value="US-KY">Kentucky (US-KY)</option>' in page
    assert 'name="address" value="200 W Main St"' in page
    assert 'aria-invalid="true"' not in page
    assert shipping().city == "Lisbon"


# --- Saving -------------------------------------------------------------------------------


def test_without_htmx_saving_redirects_to_the_order_with_the_outcome(agent_client, confirmed_order):
    response = agent_client.post(CHANGE_URL, NEW)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == ORDER_URL
    page = content(agent_client.get(ORDER_URL))
    assert "Order #Y34DHR will be sent to the new address." in page
    assert "200 W Main St" in page
    address = shipping()
    assert (address.city, address.phone_number, address.region_code) == (
        "Louisville",
        "+15025550100",
        "US-KY",
    )


def test_with_htmx_the_new_address_and_the_outcome_are_swapped_in(agent_client, confirmed_order):
    response = agent_client.post(CHANGE_URL, NEW, **HX)

    page = content(response)
    assert response.status_code == HTTPStatus.OK
    assert response["HX-Retarget"] == "#order-header"
    assert response["HX-Reswap"] == "outerHTML"
    assert 'aria-labelledby="addresses-title" hx-swap-oob="true">' in page
    assert "200 W Main St" in page
    assert '<div id="order-outcome" hx-swap-oob="innerHTML">' in page
    assert "Order #Y34DHR will be sent to the new address." in page
    assert "Shipping address changed" in page  # the timeline, out of band


def test_saving_records_the_audit_and_the_timeline(agent_client, confirmed_order, agent_user):
    agent_client.post(CHANGE_URL, NEW)

    audit = AccessAudit.objects.get(action="change_shipping_address")
    assert (audit.channel, audit.actor, audit.user) == ("console", "agent:agent", agent_user)
    assert audit.changes["before"]["city"] == "Lisbon"
    assert audit.changes["after"]["city"] == "Louisville"
    assert StatusEvent.objects.filter(description="Shipping address changed").count() == 1
    order = Order.objects.select_related("customer", "shipping_address", "billing_address").get()
    from orders import services

    assert order.document == services.render_document(order)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"zip_code": "4020"},
            "zip_code",
            "Must be a postal code of United States, such as 95014.",
        ),
        ({"region_code": "PT-11"}, "region_code", "Choose a region of the chosen country."),
        ({"country_code": "XX"}, "country_code", "Choose a country from the list."),
        (
            {"phone_number": "12"},
            "phone_number",
            "Enter a phone number of the chosen country, or one starting with + and its code.",
        ),
        (
            {"address": f"Card {VISA_TEST_PAN}"},
            "address",
            "only the last four digits may be stored.",
        ),
        ({"address": ""}, "address", "Required for a delivery."),
        ({"city": "x" * 129}, "city", "Ensure this value has at most 128 characters"),
    ],
)
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_bad_field_is_shown_next_to_it_and_nothing_is_saved(
    agent_client, confirmed_order, changes, field, message, headers
):
    response = agent_client.post(CHANGE_URL, {**NEW, **changes}, **headers)

    page = content(response)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f'aria-invalid="true" aria-describedby="address-{field}-error"' in page
    assert f'id="address-{field}-error"' in page
    assert message in page
    assert "4111" not in page
    assert ("<html" in page) is not bool(headers)
    assert shipping().city == "Lisbon"
    assert Address.objects.count() == 1
    assert not AccessAudit.objects.filter(action="change_shipping_address").exists()


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_a_shipped_order_is_refused_and_nothing_is_saved(agent_client, make_order, headers):
    make_order(events=[event("CONFIRMED"), event("ON_ITS_WAY", day=15)])

    response = agent_client.post(CHANGE_URL, NEW, **headers)

    if headers:
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert "has left the warehouse" in content(response)
    else:
        assert response.status_code == HTTPStatus.SEE_OTHER
        assert "has left the warehouse" in content(agent_client.get(ORDER_URL))
    assert shipping().city == "Lisbon"


def test_opening_the_form_of_a_canceled_order_without_htmx_redirects_with_a_warning(
    agent_client, make_order
):
    make_order(cancellation_status="CANCELED")

    response = agent_client.get(CHANGE_URL)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert "is canceled; its address was not changed" in content(agent_client.get(ORDER_URL))


def test_a_post_without_a_csrf_token_is_refused(confirmed_order, agent_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_user)

    response = client.post(CHANGE_URL, NEW)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert shipping().city == "Lisbon"


def test_errors_are_in_the_agents_language(agent_client, confirmed_order):
    response = agent_client.post(
        CHANGE_URL, {**NEW, "zip_code": "4020"}, HTTP_ACCEPT_LANGUAGE="pt-PT", **HX
    )

    page = content(response)
    assert "Tem de ser um código postal do país escolhido (Estados Unidos), como 95014." in page
    assert "Nada foi guardado" in page


def test_another_customers_order_is_404(agent_client, make_order, make_customer):
    make_order(customer=make_customer("someone-else"))
    make_customer("customer123")

    assert agent_client.get(CHANGE_URL).status_code == HTTPStatus.NOT_FOUND
    assert agent_client.post(CHANGE_URL, NEW).status_code == HTTPStatus.NOT_FOUND
