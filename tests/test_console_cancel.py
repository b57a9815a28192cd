from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orders.models import AccessAudit, Order, StatusEvent
from tests.conftest import content, event

ORDER_URL = "/agent/customers/customer123/orders/order123"
CANCEL_URL = ORDER_URL + "/cancel"
HX = {"HTTP_HX_REQUEST": "true"}
BUTTON = f'href="{CANCEL_URL}" hx-get="{CANCEL_URL}"'


@pytest.fixture
def confirmed_order(make_order) -> Order:
    return make_order(order_number="#Y34DHR", events=[event("CONFIRMED", "CONFIRMED", 14)])


@pytest.fixture
def shipped_order(make_order) -> Order:
    return make_order(
        order_number="#Y34DHR",
        events=[event("CONFIRMED", "CONFIRMED", 14), event("ON_ITS_WAY", "IN_TRANSIT", 15)],
    )


def reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


# --- The button ---------------------------------------------------------------------------


def test_supervisors_see_the_cancel_button_on_a_cancellable_order(
    supervisor_client, confirmed_order
):
    response = supervisor_client.get(ORDER_URL)

    assert response.status_code == HTTPStatus.OK
    assert BUTTON in content(response)
    assert ">Cancel order<" in content(response)


def test_plain_agents_see_no_cancel_button(agent_client, confirmed_order):
    response = agent_client.get(ORDER_URL)

    assert response.status_code == HTTPStatus.OK
    assert CANCEL_URL not in content(response)


def test_a_shipped_order_has_no_cancel_button(supervisor_client, shipped_order):
    response = supervisor_client.get(ORDER_URL)

    assert CANCEL_URL not in content(response)


def test_a_canceled_order_shows_the_badge_reason_and_time_instead_of_the_button(
    supervisor_client, make_order
):
    make_order(
        cancellation_status="CANCELED",
        cancel_reason="DUPLICATE_ORDER",
        canceled_at=datetime(2021, 9, 15, 9, 30, tzinfo=UTC),
    )

    page = content(supervisor_client.get(ORDER_URL))

    assert CANCEL_URL not in page
    assert "<span>Canceled</span>" in page
    assert "<dt>Cancel reason</dt><dd>Duplicate order</dd>" in page
    assert '<time datetime="2021-09-15T10:30:00+01:00" title=' in page  # the agent's zone, Lisbon


# --- The confirmation ---------------------------------------------------------------------


def test_the_confirmation_page_asks_for_a_reason(supervisor_client, confirmed_order):
    response = supervisor_client.get(CANCEL_URL)

    assert response.status_code == HTTPStatus.OK
    page = content(response)
    assert "<html" in page
    assert '<h1 id="cancel-title">Cancel order <span class="mono">#Y34DHR</span></h1>' in page
    assert f'class="cancel-form stack" method="post" action="{CANCEL_URL}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<select id="cancel-reason" name="reason" required' in page
    assert '<option value="DUPLICATE_ORDER">Duplicate order</option>' in page
    assert "Confirm cancellation" in page


def test_the_htmx_confirmation_is_just_the_form(supervisor_client, confirmed_order):
    response = supervisor_client.get(CANCEL_URL, **HX)

    assert response.status_code == HTTPStatus.OK
    page = content(response)
    assert "<html" not in page
    assert page.strip().startswith('<form id="cancel-form"')
    assert f'hx-post="{CANCEL_URL}"' in page
    assert '<option value="DUPLICATE_ORDER">Duplicate order</option>' in page
    assert response["Vary"].startswith("HX-Request")


def test_the_confirmation_lists_every_reason_after_a_blank_choice(
    supervisor_client, confirmed_order
):
    response = supervisor_client.get(CANCEL_URL, **HX)

    values = [chunk.split('"', 1)[0] for chunk in content(response).split('<option value="')[1:]]
    assert values == [
        "",
        "CUSTOMER_REQUEST",
        "ORDERED_BY_MISTAKE",
        "DUPLICATE_ORDER",
        "WRONG_ITEMS",
        "DELIVERY_TOO_LATE",
        "PAYMENT_ISSUE",
        "SUSPECTED_FRAUD",
        "OTHER",
    ]


def test_the_confirmation_is_in_portuguese_for_portuguese_agents(
    supervisor_client, confirmed_order
):
    response = supervisor_client.get(CANCEL_URL, HTTP_ACCEPT_LANGUAGE="pt")

    page = content(response)
    assert "Cancelar encomenda" in page
    assert '<option value="DUPLICATE_ORDER">Encomenda duplicada</option>' in page


def test_opening_the_confirmation_of_a_shipped_order_goes_back_with_a_message(
    supervisor_client, shipped_order
):
    response = supervisor_client.get(CANCEL_URL, follow=True)

    assert response.redirect_chain == [(ORDER_URL, HTTPStatus.SEE_OTHER)]
    assert "has left the warehouse and can no longer be canceled" in content(response)


def test_opening_the_htmx_confirmation_of_a_shipped_order_is_422(supervisor_client, shipped_order):
    response = supervisor_client.get(CANCEL_URL, **HX)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "has left the warehouse and can no longer be canceled" in content(response)
    assert response["HX-Retarget"] == "#order-header"


def test_plain_agents_cannot_open_the_confirmation(agent_client, confirmed_order):
    response = agent_client.get(CANCEL_URL)

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_anonymous_visitors_are_sent_to_the_login_page(client, confirmed_order):
    response = client.get(CANCEL_URL)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/accounts/login/?next={CANCEL_URL}"


# --- Confirming ---------------------------------------------------------------------------


def test_confirming_cancels_the_order_and_goes_back_with_a_message(
    supervisor_client, confirmed_order
):
    response = supervisor_client.post(CANCEL_URL, {"reason": "DUPLICATE_ORDER"})

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == ORDER_URL
    order = reload(confirmed_order)
    assert (order.cancellation_status, order.cancel_reason, order.canceled_by) == (
        "CANCELED",
        "DUPLICATE_ORDER",
        "agent:supervisor",
    )
    page = content(supervisor_client.get(ORDER_URL))
    assert (
        '<div id="order-outcome" class="outcome" role="status"><p class="notice notice--success">'
        in page
    )
    assert "Order #Y34DHR canceled. Reason: Duplicate order." in page
    assert "<span>Canceled</span>" in page


def test_confirming_with_htmx_swaps_the_header_timeline_and_outcome_in_place(
    supervisor_client, confirmed_order
):
    response = supervisor_client.post(CANCEL_URL, {"reason": "WRONG_ITEMS"}, **HX)

    assert response.status_code == HTTPStatus.OK
    assert response["HX-Retarget"] == "#order-header"
    assert response["HX-Reswap"] == "outerHTML"
    page = content(response)
    assert page.strip().startswith('<section id="order-header"')
    assert "<span>Canceled</span>" in page
    assert "<dt>Cancel reason</dt><dd>Wrong items or size</dd>" in page
    assert CANCEL_URL not in page
    assert 'hx-swap-oob="true"' in page.split('<section id="timeline"', 1)[1].split(">", 1)[0]
    assert "Canceled: Wrong items or size" in page  # the new timeline event
    assert '<div id="order-outcome" hx-swap-oob="innerHTML">' in page
    assert "Order #Y34DHR canceled. Reason: Wrong items or size." in page
    assert reload(confirmed_order).is_canceled


def test_confirming_adds_one_timeline_event(supervisor_client, confirmed_order):
    supervisor_client.post(CANCEL_URL, {"reason": "OTHER"})

    descriptions = list(
        StatusEvent.objects.filter(order=confirmed_order)
        .order_by("status_date_time", "id")
        .values_list("description", flat=True)
    )
    assert descriptions == ["", "Canceled: Other"]


def test_confirming_writes_an_audit_row(supervisor_client, supervisor_user, confirmed_order):
    supervisor_client.post(
        CANCEL_URL, {"reason": "PAYMENT_ISSUE"}, HTTP_X_REQUEST_ID="req-cancel-1"
    )

    rows = list(
        AccessAudit.objects.filter(action=AccessAudit.Action.CANCEL_ORDER).values_list(
            "user", "actor", "channel", "customer_external_id", "order_external_id",
            "request_id", "detail",
        )
    )  # fmt: skip
    assert rows == [
        (
            supervisor_user.pk,
            "agent:supervisor",
            "console",
            "customer123",
            "order123",
            "req-cancel-1",
            "PAYMENT_ISSUE",
        )
    ]


def test_confirming_with_htmx_costs_a_fixed_number_of_queries(
    supervisor_client, confirmed_order, django_assert_num_queries
):
    # session, the user with their permissions, the order; then services.order_cancel: the
    # conditional UPDATE, its state reloaded, the audit insert (3 savepoint statements), the
    # timeline event, order_refresh (savepoint, items, latest event, shipments, UPDATE, 2
    # releases); last the timeline read. The loaded customer and addresses are reused for the
    # stored API document.
    with django_assert_num_queries(18):
        supervisor_client.post(CANCEL_URL, {"reason": "OTHER"}, **HX)


# --- Refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_plain_agents_cannot_cancel(agent_client, confirmed_order, headers):
    response = agent_client.post(CANCEL_URL, {"reason": "OTHER"}, **headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not reload(confirmed_order).cancellation_status
    assert not AccessAudit.objects.filter(action=AccessAudit.Action.CANCEL_ORDER).exists()


def test_a_post_without_the_csrf_token_is_refused(supervisor_user, confirmed_order):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor_user)

    response = client.post(CANCEL_URL, {"reason": "OTHER"}, **HX)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not reload(confirmed_order).cancellation_status


def test_a_post_with_the_csrf_header_htmx_sends_is_accepted(supervisor_user, confirmed_order):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor_user)
    client.get(ORDER_URL)  # sets the CSRF cookie, as the page does for htmx's hx-headers

    response = client.post(
        CANCEL_URL,
        {"reason": "OTHER"},
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        **HX,
    )

    assert response.status_code == HTTPStatus.OK
    assert reload(confirmed_order).is_canceled


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "BORED"}])
def test_a_missing_or_unknown_reason_re_renders_the_page_with_an_error(
    supervisor_client, confirmed_order, data
):
    response = supervisor_client.post(CANCEL_URL, data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = content(response)
    assert "<html" in page
    assert 'aria-invalid="true" aria-describedby="cancel-reason-error"' in page
    assert '<p class="field-error" id="cancel-reason-error" role="alert">' in page
    assert not reload(confirmed_order).cancellation_status


def test_a_missing_reason_with_htmx_is_a_400_form_partial(supervisor_client, confirmed_order):
    response = supervisor_client.post(CANCEL_URL, {}, **HX)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = content(response)
    assert page.strip().startswith('<form id="cancel-form"')
    assert "Choose why the order is canceled." in page
    assert not reload(confirmed_order).cancellation_status


def test_an_unknown_reason_with_htmx_keeps_nothing_selected(supervisor_client, confirmed_order):
    response = supervisor_client.post(CANCEL_URL, {"reason": "BORED"}, **HX)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose one of the listed reasons." in content(response)
    assert " selected>" not in content(response)


def test_cancelling_a_shipped_order_changes_nothing_and_says_why(supervisor_client, shipped_order):
    response = supervisor_client.post(CANCEL_URL, {"reason": "OTHER"}, follow=True)

    assert response.redirect_chain == [(ORDER_URL, HTTPStatus.SEE_OTHER)]
    assert (
        "Order #Y34DHR has left the warehouse and can no longer be canceled; nothing was changed."
        in content(response)
    )
    assert '<p class="notice notice--danger">' in content(response)
    assert not reload(shipped_order).cancellation_status
    assert StatusEvent.objects.filter(order=shipped_order).count() == 2


def test_cancelling_a_shipped_order_with_htmx_is_422_with_a_message(
    supervisor_client, shipped_order
):
    response = supervisor_client.post(CANCEL_URL, {"reason": "OTHER"}, **HX)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "can no longer be canceled; nothing was changed." in content(response)
    assert not reload(shipped_order).cancellation_status
    assert not AccessAudit.objects.filter(action=AccessAudit.Action.CANCEL_ORDER).exists()


def test_cancelling_twice_says_it_is_already_canceled(supervisor_client, confirmed_order):
    supervisor_client.post(CANCEL_URL, {"reason": "OTHER"}, **HX)

    response = supervisor_client.post(CANCEL_URL, {"reason": "DUPLICATE_ORDER"}, **HX)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Order #Y34DHR is already canceled; nothing was changed." in content(response)
    assert reload(confirmed_order).cancel_reason == "OTHER"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_customers_order_is_not_found(supervisor_client, make_customer, make_order, method):
    make_order(customer=make_customer("customer123"), events=[event("CONFIRMED", "CONFIRMED", 14)])
    make_customer("customer456")

    response = getattr(supervisor_client, method)(
        "/agent/customers/customer456/orders/order123/cancel", {"reason": "OTHER"}
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Order.objects.get(external_id="order123").cancellation_status


def test_other_methods_are_not_allowed(supervisor_client, confirmed_order):
    response = supervisor_client.put(CANCEL_URL)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_seeded_supervisor_can_cancel(run_command, settings):
    settings.DEBUG = True
    run_command("seed_demo", "--customers", "1", "--with-demo-users")
    assert User.objects.get(username="supervisor").has_perm("orders.cancel_order")
    assert not User.objects.get(username="agent").has_perm("orders.cancel_order")


@pytest.mark.parametrize("headers", [{}, HX])
def test_the_cancel_confirmation_showing_the_order_is_audited(
    supervisor_client, confirmed_order, headers
):
    supervisor_client.get(CANCEL_URL, **headers)

    assert list(AccessAudit.objects.values_list("action", "order_external_id", "detail")) == [
        ("view_order", "order123", "cancel page")
    ]
