from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from orders import services
from orders.models import Order
from tests.browser.conftest import assert_no_template_source

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ORDER_PATH = "/agent/customers/customer123/orders/order123"


@pytest.fixture
def order(make_order) -> Order:
    return make_order(
        order_number="#Y34DHR",
        events=[
            {
                "generic_type": "CONFIRMED",
                "detailed_type": "CONFIRMED",
                "status_date_time": datetime(2021, 9, 14, 12, 0, tzinfo=UTC),
            }
        ],
    )


def sign_in(page: Page, live_server) -> Page:
    page.goto(live_server.url + "/accounts/login/")
    assert_no_template_source(page)
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill("supervisor-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))
    assert_no_template_source(page)
    return page


@pytest.fixture
def errors(page: Page) -> list[str]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_a_supervisor_cancels_an_order_without_a_page_reload(
    page, live_server, supervisor_user, order, errors
):
    sign_in(page, live_server)
    errors.clear()  # Chromium asks the login page for /favicon.ico (a 404): not this feature
    page.goto(live_server.url + ORDER_PATH)
    assert_no_template_source(page)
    page.evaluate("window.notReloaded = true")

    page.get_by_role("link", name="Cancel order").click()
    reason = page.get_by_label("Reason")
    expect(reason).to_be_focused()
    assert_no_template_source(page)
    reason.select_option(label="Duplicate order")
    page.get_by_role("button", name="Confirm cancellation").click()

    expect(page.locator("#order-outcome")).to_have_text(
        "Order #Y34DHR canceled. Reason: Duplicate order."
    )
    expect(page.locator("#order-header .badge--danger")).to_have_text("Canceled")
    expect(page.locator("#order-header")).to_contain_text("Duplicate order")
    expect(page.locator("#timeline")).to_contain_text("Canceled: Duplicate order")
    expect(page.get_by_role("link", name="Cancel order")).to_have_count(0)
    # The form that had focus is gone: keyboard users land on the order's heading.
    expect(page.locator("#order-title")).to_be_focused()
    expect(page).to_have_url(re.compile(ORDER_PATH + "$"))
    assert_no_template_source(page)
    assert page.evaluate("window.notReloaded") is True
    assert Order.objects.get(pk=order.pk).is_canceled
    assert errors == []


def test_confirming_without_a_reason_is_stopped_and_changes_nothing(
    page, live_server, supervisor_user, order, errors
):
    sign_in(page, live_server)
    errors.clear()  # as above
    page.goto(live_server.url + ORDER_PATH)
    page.get_by_role("link", name="Cancel order").click()

    page.get_by_role("button", name="Confirm cancellation").click()
    assert_no_template_source(page)

    # The browser's own required-field check stops the empty choice before any request.
    assert page.get_by_label("Reason").evaluate("element => element.validity.valueMissing")
    assert not Order.objects.get(pk=order.pk).cancellation_status
    assert errors == []


def serious_violations(page: Page) -> list[str]:
    return [
        f"{violation['id']}: {violation['help']}"
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def test_the_button_confirmation_and_outcome_have_no_serious_accessibility_violations(
    page, live_server, supervisor_user, order
):
    sign_in(page, live_server)
    page.goto(live_server.url + ORDER_PATH)
    assert_no_template_source(page)
    found = {"button": serious_violations(page)}
    page.get_by_role("link", name="Cancel order").click()
    page.get_by_label("Reason").select_option(label="Other")
    assert_no_template_source(page)
    found["confirmation"] = serious_violations(page)
    page.get_by_role("button", name="Confirm cancellation").click()
    expect(page.locator("#order-outcome")).to_contain_text("canceled")
    assert_no_template_source(page)
    found["outcome"] = serious_violations(page)

    assert found == {"button": [], "confirmation": [], "outcome": []}


def test_without_javascript_the_cancel_flow_uses_plain_pages(
    browser: Browser, live_server, supervisor_user, order
):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = sign_in(context.new_page(), live_server)
    page.goto(live_server.url + ORDER_PATH)

    assert_no_template_source(page)
    page.get_by_role("link", name="Cancel order").click()
    expect(page).to_have_url(re.compile(ORDER_PATH + "/cancel$"))
    assert_no_template_source(page)
    page.get_by_label("Reason").select_option(label="Payment issue")
    page.get_by_role("button", name="Confirm cancellation").click()

    expect(page).to_have_url(re.compile(ORDER_PATH + "$"))
    expect(page.locator("#order-outcome")).to_have_text(
        "Order #Y34DHR canceled. Reason: Payment issue."
    )
    expect(page.locator("#order-header .badge--danger")).to_have_text("Canceled")
    assert_no_template_source(page)
    context.close()


def test_an_order_canceled_meanwhile_shows_why_nothing_changed(
    page, live_server, supervisor_user, order, errors
):
    sign_in(page, live_server)
    page.goto(live_server.url + ORDER_PATH)
    page.get_by_role("link", name="Cancel order").click()
    page.get_by_label("Reason").select_option(label="Other")
    services.order_cancel(order=order, reason="DUPLICATE_ORDER", actor="client:crm", channel="api")
    errors.clear()

    page.get_by_role("button", name="Confirm cancellation").click()

    # htmx swaps the 422 answer: the message, and the header as it now is.
    expect(page.locator("#order-outcome")).to_have_text(
        "Order #Y34DHR is already canceled; nothing was changed."
    )
    expect(page.locator("#order-header .badge--danger")).to_have_text("Canceled")
    expect(page.locator("#order-header")).to_contain_text("Duplicate order")
    assert_no_template_source(page)
    assert Order.objects.get(pk=order.pk).cancel_reason == "DUPLICATE_ORDER"
    # The browser logs the 422 itself as a failed resource load; nothing else may appear.
    assert [error for error in errors if "422" not in error] == []
