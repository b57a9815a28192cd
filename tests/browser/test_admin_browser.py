from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import save_screenshot

ITEM_FIELDS = ["position", "external_id", "name", "sku", "quantity", "price", "currency",
               "image_url", "description"]  # fmt: skip
EVENT_FIELDS = ["status_date_time_0", "status_date_time_1", "generic_type", "detailed_type",
                "description"]  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_page(page: Page, live_server, django_user_model) -> Page:
    django_user_model.objects.create_superuser("root", password="root-password-1")
    page.goto(live_server.url + "/admin/login/")
    page.locator("input[name=username]").fill("root")
    page.locator("input[name=password]").fill("root-password-1")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()
    return page


@pytest.fixture
def busy_order(make_order):
    long = "Hand-painted in Lisbon; every piece is slightly different. " * 3
    return make_order(
        items=[
            {"name": f"Azulejo tile coaster set {n}", "sku": f"CL-TIL-0{n}", "quantity": n,
             "price": Decimal("24.90"), "description": long,
             "image_url": f"https://img.example.com/items/CL-TIL-0{n}-large-picture.png"}
            for n in range(1, 4)
        ],
        events=[
            {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED",
             "status_date_time": datetime(2021, 9, 14, 12, tzinfo=UTC),
             "description": "Payment authorised."},
            {"generic_type": "OUT_FOR_DELIVERY", "detailed_type": "ATTEMPTED_DELIVERY",
             "status_date_time": datetime(2021, 9, 16, 12, tzinfo=UTC), "description": long},
        ],
    )  # fmt: skip


def test_the_admin_order_page_fits_a_full_screen(admin_page, live_server, busy_order):
    page = admin_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + f"/admin/orders/order/{busy_order.pk}/change/")
    save_screenshot(page, "admin-order-1280.png")

    overflowing = page.evaluate(
        """() => Array.from(document.querySelectorAll('.inline-group, .inline-related, fieldset'))
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => `${el.id || el.className}: ${el.scrollWidth} > ${el.clientWidth}`)"""
    )
    assert overflowing == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_the_admin_order_page_still_edits_every_item_and_event_field(
    admin_page, live_server, busy_order
):
    page = admin_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + f"/admin/orders/order/{busy_order.pk}/change/")

    for name in ITEM_FIELDS:
        expect(page.locator(f"[name='items-0-{name}']")).to_be_visible()
    for name in EVENT_FIELDS:
        expect(page.locator(f"[name='status_events-0-{name}']")).to_be_visible()
