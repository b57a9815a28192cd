from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page, expect

from orders import services
from orders.models import Address, Customer, OrderItem, StatusEvent
from tests.browser.conftest import assert_no_template_source, save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ORDER_PATH = "/agent/customers/customer123/orders/order123"
LOCALES = ["en-GB", "pt-PT"]


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2021, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def order(make_order, make_customer, make_shipment, live_server):
    customer = make_customer(
        "customer123",
        first_name="John",
        last_name="Doe",
        email="john.doe@example.com",
        customer_since=datetime(2019, 3, 2, 10, 4, 11, tzinfo=UTC),
        custom_fields={"loyalty_tier": "Gold", "newsletter": True},
    )
    make_customer("customer456", first_name="Jane", last_name="Doe", phone_number="+351920000000")
    demo = live_server.url + "/static/demo/"
    order = make_order(
        customer=customer,
        order_number="#Y34DHR",
        original_total_amount=Decimal("59.90"),
        discounts_amount=Decimal("5.00"),
        shipping_amount=Decimal("3.99"),
        taxes_amount=Decimal("12.63"),
        final_total_amount=Decimal("71.52"),
        total_refunded_amount=Decimal("5.00"),
        is_refunded=True,
        payment_status="PARTIALLY_REFUNDED",
        status="Shipped",
        custom_fields={"gift_wrap": True, "sales_channel": "Online store"},
        card_brand_image_url=demo + "cards/visa.svg",
        items=[
            {"name": "Two-person trekking tent", "sku": "NW-TNT-2P", "quantity": 1,
             "price": Decimal("49.90"), "description": "Green, with the orange fly sheet",
             "image_url": demo + "items/NW-TNT-2P.svg"},
            {"name": "Insulated steel bottle 1 L", "sku": "NW-BTL-1L", "quantity": 2,
             "price": Decimal("5.00"), "image_url": demo + "items/NW-BTL-1L.svg"},
        ],
        events=[
            {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED",
             "status_date_time": at(9, 14)},
            {"generic_type": "ON_ITS_WAY", "detailed_type": "IN_TRANSIT",
             "status_date_time": at(9, 15), "description": "Left the Lisbon hub"},
            {"generic_type": "OUT_FOR_DELIVERY", "detailed_type": "ATTEMPTED_DELIVERY",
             "status_date_time": at(9, 16), "description": "Nobody at home"},
        ],
    )  # fmt: skip
    tent, bottle = order.items.order_by("position")[:2]
    # A split shipment: the tent with UPS (a delivery attempt), one bottle with CTT (the
    # shop's own link), the other bottle not shipped yet.
    make_shipment(
        order, lines=[(tent, 1)], shipping_date=at(9, 15),
        delivery_date_start=at(9, 16, 9), delivery_date_end=at(9, 16, 18),
        events=[
            {"detailed_type": "IN_TRANSIT", "status_date_time": at(9, 15),
             "location": "Lisbon hub"},
            {"detailed_type": "ATTEMPTED_DELIVERY", "status_date_time": at(9, 16),
             "description": "Nobody at home", "location": "Lisbon"},
        ],
    )  # fmt: skip
    make_shipment(
        order, lines=[(bottle, 1)], carrier="CTT", tracking_number="RR123456785PT",
        tracking_url="https://www.ctt.pt/feapl_2/app/open/objectSearch/objectSearch.jspx?objects=RR123456785PT",
        service_level="Correio Registado", shipping_date=at(9, 15, 15),
        events=[{"detailed_type": "IN_TRANSIT", "status_date_time": at(9, 15, 16)}],
    )  # fmt: skip
    order.billing_address = Address.objects.create(
        customer=customer,
        external_id="louisville",
        first_name="John",
        last_name="Doe",
        address="500 W Jefferson St",
        zip_code="40202",
        city="Louisville",
        region_code="US-KY",
        country_code="US",
    )
    order.save()
    return services.order_refresh(order=order)


@pytest.fixture
def missing_picture(order, live_server):
    """A third item whose picture the shop's host no longer has."""
    OrderItem.objects.create(
        order=order,
        position=2,
        external_id="item2",
        name="Rechargeable head torch",
        sku="NW-LMP-HD",
        quantity=1,
        price=Decimal("5.00"),
        currency="EUR",
        image_url=live_server.url + "/static/demo/items/gone.svg",
    )
    return order


@pytest.fixture
def errors(page: Page) -> list[str]:
    """Console errors (CSP violations included) and uncaught exceptions on the page."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


@pytest.fixture
def signed_in(page: Page, live_server, agent_user) -> Page:
    page.goto(live_server.url + "/accounts/login/")
    assert_no_template_source(page)
    # By name, not label: the labels are in the browser's language.
    page.locator("input[name=username]").fill("agent")
    page.locator("input[name=password]").fill("agent-password-1")
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))
    assert_no_template_source(page)
    return page


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def test_typing_an_order_number_and_pressing_enter_opens_the_order(signed_in, order, errors):
    page = signed_in
    box = page.get_by_label("Order number, tracking number, email, phone, customer id or name")

    box.fill("#Y34DHR")
    expect(page.locator("[data-result]")).to_have_count(1)
    assert_no_template_source(page)
    box.press("Enter")

    expect(page).to_have_url(re.compile(ORDER_PATH + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("#Y34DHR")
    assert_no_template_source(page)
    assert errors == []


def test_arrow_keys_move_through_results_and_enter_opens_one(signed_in, order, errors):
    page = signed_in
    box = page.get_by_label("Order number, tracking number, email, phone, customer id or name")
    box.fill("doe")
    expect(page.locator("[data-result]")).to_have_count(2)
    assert_no_template_source(page)

    box.press("ArrowDown")
    box_or_result = page.locator("[data-result]").nth(0)
    expect(box_or_result).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("[data-result]").nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/agent/customers/customer\d+$"))
    assert_no_template_source(page)
    assert errors == []


def test_slash_focuses_the_search_box(signed_in, live_server, order):
    page = signed_in
    page.goto(live_server.url + ORDER_PATH)
    assert_no_template_source(page)

    page.keyboard.press("/")

    expect(page.locator("#topsearch-q")).to_be_focused()


def test_a_new_status_event_appears_without_a_page_reload(
    signed_in, live_server, order, settings, errors
):
    settings.ERCDASH_TIMELINE_REFRESH_SECONDS = 1
    page = signed_in
    page.goto(live_server.url + ORDER_PATH)
    page.evaluate("window.notReloaded = true")
    expect(page.locator("#timeline")).not_to_contain_text("Left with a neighbour")

    StatusEvent.objects.create(
        order=order,
        generic_type="DELIVERED",
        detailed_type="DELIVERED",
        status_date_time=at(9, 17),
        description="Left with a neighbour",
    )
    services.order_refresh(order=order)

    expect(page.locator("#timeline")).to_contain_text("Left with a neighbour", timeout=10_000)
    expect(page.locator(".step--current .step-label")).to_have_text("Delivered")
    assert_no_template_source(page)
    assert page.evaluate("window.notReloaded") is True
    assert errors == []


def test_the_copy_button_copies_the_order_number(signed_in, live_server, order, errors):
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + ORDER_PATH)

    page.get_by_role("button", name="Copy order number").click()

    expect(page.locator("#announcer")).to_have_text("Copied")
    assert_no_template_source(page)
    assert page.evaluate("navigator.clipboard.readText()") == "#Y34DHR"
    assert errors == []


def test_the_timeline_works_and_every_page_loads_without_console_errors(
    signed_in, live_server, order, errors
):
    page = signed_in
    paths = (
        "/agent/?q=doe",
        "/agent/customers/customer123",
        ORDER_PATH,
        "/agent/lookup",
        "/agent/lookup?email=nobody%40example.com",
    )
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert_no_template_source(page)

    assert errors == []


@pytest.mark.parametrize("browser_locale", LOCALES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_serious_accessibility_violations(
    signed_in, live_server, order, scheme, browser_locale
):
    page = signed_in
    page.emulate_media(color_scheme=scheme)
    found = {}
    for path in ("/agent/", "/agent/?q=doe", "/agent/customers/customer123", ORDER_PATH):
        page.goto(live_server.url + path)
        assert_no_template_source(page)
        found[path] = serious_violations(page)

    assert found == {path: [] for path in found}


def test_the_login_page_has_no_serious_accessibility_violations(page, live_server, db):
    page.goto(live_server.url + "/accounts/login/")
    assert_no_template_source(page)

    assert serious_violations(page) == []


def show_every_picture(page: Page) -> None:
    """Scroll the lazy pictures into view and wait until each has loaded or been replaced."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    # Polled from here: page.wait_for_function re-evaluates with eval(), which the CSP refuses.
    for _ in range(200):
        if page.evaluate("Array.from(document.images).every((img) => img.complete)"):
            break
        page.wait_for_timeout(25)
    else:
        raise AssertionError(f"{page.url}: pictures still loading after 5 s")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")


@pytest.mark.parametrize("browser_locale", LOCALES)
@pytest.mark.parametrize("width", [320, 1280])
def test_the_order_page_fits_the_screen(
    signed_in, live_server, missing_picture, width, browser_locale
):
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + ORDER_PATH)
    show_every_picture(page)

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, f"order-{width}-{browser_locale}.png")


@pytest.mark.parametrize("browser_locale", LOCALES)
@pytest.mark.parametrize("width", [320, 1280])
def test_the_search_page_fits_the_screen(
    signed_in, live_server, order, make_order, width, browser_locale
):
    # Jane's own #Y34DHR: an order number two customers share lists both orders.
    jane = Customer.objects.get(external_id="customer456")
    make_order("order456", customer=jane, order_number="#Y34DHR", final_total_amount=Decimal(9))
    page = signed_in
    page.set_viewport_size({"width": width, "height": 700})
    page.locator("#q").fill("#Y34DHR")
    expect(page.locator("[data-result]")).to_have_count(2)

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, f"search-{width}-{browser_locale}.png")


@pytest.mark.parametrize("browser_locale", LOCALES)
@pytest.mark.parametrize("width", [320, 1280])
def test_the_customer_page_fits_the_screen(signed_in, live_server, order, width, browser_locale):
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/agent/customers/customer123")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, f"customer-{width}-{browser_locale}.png")


def test_the_dark_theme_order_page_fits_a_side_panel(signed_in, live_server, order):
    page = signed_in
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto(live_server.url + ORDER_PATH)
    show_every_picture(page)

    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    save_screenshot(page, "order-320-dark.png")


# --- Dates, places and pictures as the agent reads them ------------------------------------


@pytest.mark.parametrize(
    ("browser_locale", "purchased", "event", "billing"),
    [
        ("en-GB", "14 Sept 2021, 13:16 WEST", "15 Sept 2021, 13:00",
         "Kentucky, United States"),
        ("en-US", "Sep 14, 2021, 1:16 PM WEST", "Sep 15, 2021, 1:00 PM",
         "Kentucky, United States"),
        ("pt-PT", "14/09/2021, 13:16 WEST", "15/09/2021, 13:00", "Kentucky, Estados Unidos"),
    ],
)  # fmt: skip
def test_the_order_page_reads_naturally_in_the_agents_region(
    signed_in, live_server, order, browser_locale, purchased, event, billing
):
    page = signed_in
    page.goto(live_server.url + ORDER_PATH)

    expect(page.locator("#order-header time")).to_have_text(purchased)
    expect(page.locator("#timeline .event time").nth(1)).to_have_text(event)
    expect(page.locator("#addresses address").nth(0)).to_contain_text("Lisboa, Portugal")
    expect(page.locator("#addresses address").nth(1)).to_contain_text(billing)


@pytest.mark.parametrize(
    ("browser_time_zone", "browser_locale", "purchased"),
    [("America/New_York", "en-US", "Sep 14, 2021, 8:16 AM EDT"),
     ("Europe/London", "en-GB", "14 Sept 2021, 13:16 BST")],
)  # fmt: skip
def test_times_are_in_the_zone_the_browser_reports(
    signed_in, live_server, order, browser_time_zone, browser_locale, purchased
):
    page = signed_in  # the sign-in page's script has stored the browser's zone
    page.goto(live_server.url + ORDER_PATH)

    expect(page.locator("#order-header time")).to_have_text(purchased)
    expect(page.locator("#order-header abbr.tz")).to_have_attribute("title", browser_time_zone)


def test_the_exact_time_is_in_the_title(signed_in, live_server, order):
    page = signed_in
    page.goto(live_server.url + ORDER_PATH)

    purchased = page.locator("#order-header time")
    expect(purchased).to_have_attribute("datetime", "2021-09-14T13:16:50.078000+01:00")
    expect(purchased).to_have_attribute(
        "title", "Tuesday, 14 September 2021, 13:16:50 Western European Summer Time"
    )


def test_a_picture_that_fails_to_load_becomes_the_neutral_icon(
    signed_in, live_server, missing_picture, errors
):
    page = signed_in
    page.goto(live_server.url + ORDER_PATH)
    show_every_picture(page)

    items = page.locator("#items .item")
    expect(items.nth(2).locator("span.item-image--none svg.icon")).to_have_count(1)
    expect(items.nth(2).locator("img")).to_have_count(0)
    expect(items.locator("img.item-image")).to_have_count(2)
    for img in items.locator("img.item-image").all():
        assert img.evaluate("(img) => img.naturalWidth") > 0
        expect(img).to_have_attribute("referrerpolicy", "no-referrer")
        expect(img).to_have_attribute("loading", "lazy")
    # The 404 itself is the only complaint: no CSP violation, no script error.
    assert [e for e in errors if "Failed to load resource" not in e] == []


def test_a_card_brand_icon_that_fails_to_load_becomes_the_card_icon(signed_in, live_server, order):
    order.card_brand_image_url = live_server.url + "/static/demo/cards/gone.svg"
    order.save()
    page = signed_in
    page.goto(live_server.url + ORDER_PATH)
    show_every_picture(page)

    expect(page.locator("#payment span.card-brand--none svg.icon")).to_have_count(1)
    expect(page.locator("#payment img")).to_have_count(0)


UPS_NUMBER = "1Z999AA10123456784"
UPS_PAGE = f"https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums={UPS_NUMBER}"


def test_a_tracking_number_in_the_search_box_leads_to_the_carriers_page(signed_in, order, errors):
    page = signed_in
    # No network here: the carrier's page is answered locally, as the browser would open it.
    page.context.route("https://wwwapps.ups.com/**", lambda route: route.fulfill(body="UPS"))
    box = page.get_by_label("Order number, tracking number, email, phone, customer id or name")

    box.fill("1Z 999 AA1 01 2345 678 4")
    expect(page.locator("[data-result]")).to_have_count(1)
    box.press("Enter")

    expect(page).to_have_url(re.compile(ORDER_PATH + "$"))
    panel = page.locator("#shipments")
    expect(panel).to_contain_text(UPS_NUMBER)
    expect(panel).to_contain_text("Delivery attempted")
    expect(panel).to_contain_text("Not shipped yet")
    track = panel.get_by_role("link", name=re.compile(f"Track parcel {UPS_NUMBER}"))
    expect(track).to_have_attribute("target", "_blank")
    expect(track).to_have_attribute("rel", "noopener noreferrer")
    with page.context.expect_page() as opened:
        track.click()
    carrier_page = opened.value
    carrier_page.wait_for_load_state()
    assert carrier_page.url == UPS_PAGE
    assert carrier_page.evaluate("window.opener") is None
    assert_no_template_source(page)
    assert errors == []


def test_the_copy_button_copies_a_tracking_number(signed_in, live_server, order, errors):
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + ORDER_PATH)

    page.get_by_role("button", name=f"Copy tracking number {UPS_NUMBER}").click()

    assert page.evaluate("navigator.clipboard.readText()") == UPS_NUMBER
    assert errors == []


def test_lookup_by_tracking_number_opens_the_order(signed_in, live_server, order):
    page = signed_in

    page.goto(live_server.url + "/agent/lookup?tracking_number=rr123456785pt")

    expect(page).to_have_url(re.compile(ORDER_PATH + "$"))
    expect(page.locator("#shipments")).to_contain_text("CTT")


def test_the_shipments_panel_works_without_javascript(browser, live_server, order, agent_user):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("agent-password-1")
    page.get_by_role("button", name="Sign in").click()

    page.goto(live_server.url + "/agent/?q=RR123456785PT")

    expect(page).to_have_url(re.compile(ORDER_PATH + "$"))
    panel = page.locator("#shipments")
    expect(
        panel.get_by_role("link", name=re.compile("Track parcel RR123456785PT"))
    ).to_have_attribute("href", re.compile(r"^https://www\.ctt\.pt/"))
    panel.get_by_text("Tracking history (2 updates)").click()
    expect(panel).to_contain_text("Lisbon hub")
    assert_no_template_source(page)
    context.close()


def test_a_new_parcel_event_appears_without_a_page_reload(
    signed_in, live_server, order, settings, errors
):
    settings.ERCDASH_TIMELINE_REFRESH_SECONDS = 1
    page = signed_in
    page.goto(live_server.url + ORDER_PATH)
    page.evaluate("window.notReloaded = true")
    parcel = order.shipments.get(carrier="UPS")

    parcel.events.create(
        detailed_type="DELIVERED", status_date_time=at(9, 17), description="Left with a neighbour"
    )
    services.order_refresh(order=order)

    expect(page.locator("#shipments")).to_contain_text("Left with a neighbour", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    assert errors == []
