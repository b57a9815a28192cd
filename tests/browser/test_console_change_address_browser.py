from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from orders.models import Order
from tests.browser.conftest import assert_no_template_source, save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ORDER_PATH = "/agent/customers/customer123/orders/order123"
LOCALES = ["en-GB", "pt-PT"]


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
    # By name, not label: the labels are in the browser's language.
    page.locator("input[name=username]").fill("agent")
    page.locator("input[name=password]").fill("agent-password-1")
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))
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


def serious_violations(page: Page) -> list[str]:
    return [
        f"{violation['id']}: {violation['help']}"
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def settled(page: Page) -> None:
    """Wait until htmx has settled the form it swapped in (its attributes are live then)."""
    expect(page.locator("#address-form")).to_have_count(1)
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-request")).to_have_count(0)


def fill_kentucky(page: Page) -> None:
    settled(page)
    page.locator("#address-country_code").select_option("US")
    # The region picker follows the country (an HTMX swap of that one field).
    expect(page.locator("#address-region_code option[value=US-KY]")).to_have_count(1)
    page.locator("#address-region_code").select_option("US-KY")
    page.locator("#address-address").fill("200 W Main St")
    page.locator("#address-zip_code").fill("40202")
    page.locator("#address-city").fill("Louisville")
    page.locator("#address-phone_number").fill("(502) 555-0100")


def test_an_agent_changes_the_address_without_a_page_reload(
    page, live_server, agent_user, order, errors
):
    sign_in(page, live_server)
    errors.clear()  # Chromium asks the login page for /favicon.ico (a 404): not this feature
    page.goto(live_server.url + ORDER_PATH)
    page.evaluate("window.notReloaded = true")

    page.get_by_role("link", name="Change address").click()
    expect(page.locator("#address-address")).to_have_value("Rua Augusta 1")
    assert_no_template_source(page)
    fill_kentucky(page)
    page.get_by_role("button", name="Save new address").click()

    expect(page.locator("#order-outcome")).to_have_text(
        "Order #Y34DHR will be sent to the new address."
    )
    expect(page.locator("#addresses")).to_contain_text("200 W Main St")
    expect(page.locator("#addresses")).to_contain_text("Kentucky, United States")
    expect(page.locator("#timeline")).to_contain_text("Shipping address changed")
    expect(page.locator("#order-title")).to_be_focused()
    assert_no_template_source(page)
    assert page.evaluate("window.notReloaded") is True
    address = Order.objects.get(pk=order.pk).shipping_address
    assert (address.city, address.phone_number) == ("Louisville", "+15025550100")
    assert errors == []


def test_a_bad_postal_code_is_shown_next_to_the_field_and_nothing_is_saved(
    page, live_server, agent_user, order, errors
):
    sign_in(page, live_server)
    errors.clear()
    page.goto(live_server.url + ORDER_PATH)
    page.get_by_role("link", name="Change address").click()
    fill_kentucky(page)
    page.locator("#address-zip_code").fill("4020")

    page.get_by_role("button", name="Save new address").click()

    zip_code = page.locator("#address-zip_code")
    expect(zip_code).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#address-zip_code-error")).to_have_text(
        "Must be a postal code of United States, such as 95014."
    )
    expect(zip_code).to_have_attribute("aria-describedby", "address-zip_code-error")
    assert Order.objects.get(pk=order.pk).shipping_address.city == "Lisbon"
    # The browser logs the 400 itself as a failed resource load; nothing else may appear.
    assert [error for error in errors if "400" not in error] == []


def test_without_javascript_the_form_is_a_plain_page(
    browser: Browser, live_server, agent_user, order
):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = sign_in(context.new_page(), live_server)
    page.goto(live_server.url + ORDER_PATH)

    page.get_by_role("link", name="Change address").click()
    expect(page).to_have_url(re.compile(ORDER_PATH + "/change-address$"))
    assert_no_template_source(page)
    page.locator("#address-country_code").select_option("US")
    page.get_by_role("button", name="Show this country's regions").click()
    page.locator("#address-region_code").select_option("US-KY")
    page.locator("#address-address").fill("200 W Main St")
    page.locator("#address-zip_code").fill("40202")
    page.locator("#address-city").fill("Louisville")
    page.locator("#address-phone_number").fill("+1 502 555 0100")
    page.get_by_role("button", name="Save new address").click()

    expect(page).to_have_url(re.compile(ORDER_PATH + "$"))
    expect(page.locator("#order-outcome")).to_have_text(
        "Order #Y34DHR will be sent to the new address."
    )
    expect(page.locator("#addresses")).to_contain_text("200 W Main St")
    assert_no_template_source(page)
    context.close()


@pytest.fixture
def agent_page(page, live_server, agent_user, order) -> Page:
    return sign_in(page, live_server)


@pytest.mark.parametrize("browser_locale", LOCALES)
@pytest.mark.parametrize("width", [320, 1280])
def test_the_change_address_form_fits_the_screen(agent_page, live_server, width, browser_locale):
    page = agent_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + ORDER_PATH)
    found = {"button": serious_violations(page)}
    page.locator("#order-actions a").first.click()
    settled(page)
    page.locator("#address-zip_code").fill("4020")
    page.get_by_role("button", name=re.compile("Save|Guardar")).click()
    expect(page.locator("#address-zip_code")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    found["form with an error"] = serious_violations(page)
    save_screenshot(page, f"change-address-{width}-{browser_locale}.png")
    page.locator("#address-zip_code").fill("1100-148")
    page.get_by_role("button", name=re.compile("Save|Guardar")).click()
    expect(page.locator("#order-outcome .notice--success")).to_have_count(1)
    found["outcome"] = serious_violations(page)

    assert found == {"button": [], "form with an error": [], "outcome": []}
