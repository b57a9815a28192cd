"""Browser tests: Playwright (sync API) driving Debian's Chromium against live_server."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests import screenshot_sources

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up data would otherwise be refused as "async-unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")

# Template syntax that must never reach the screen: a {# #} comment spread over two lines
# once rendered as text above the top bar of every console page.
TEMPLATE_MARKERS = ("{#", "#}", "{%", "%}", "{{", "}}")

# The README's screenshots are refreshed with `make screenshots`; ordinary runs keep the tree
# clean. A refresh also records, in docs/screenshots/SOURCES.json, which sources it showed.
UPDATE_SCREENSHOTS = bool(os.environ.get("ERCDASH_UPDATE_SCREENSHOTS"))
SCREENSHOTS = (
    screenshot_sources.SCREENSHOTS
    if UPDATE_SCREENSHOTS
    else Path(tempfile.gettempdir()) / "ercdash-screenshots"
)


def assert_no_template_source(page: Page) -> None:
    """Fail when the page's visible text shows template syntax, naming the page."""
    text = page.evaluate("document.body.innerText")
    found = [
        " ".join(text[max(at - 40, 0) : at + 60].split())
        for marker in TEMPLATE_MARKERS
        if (at := text.find(marker)) != -1
    ]
    assert not found, f"{page.url} shows template source: " + " | ".join(found)


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot, of a page with no template source on it."""
    assert_no_template_source(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=path, full_page=True)
    if UPDATE_SCREENSHOTS:
        screenshot_sources.record(path)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (see scripts/ensure-chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        # The locale (Accept-Language) and the time zone come from fixtures, per test.
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def browser_locale() -> str:
    """The browser's language and region (Accept-Language); tests parametrize it."""
    return "en-GB"


@pytest.fixture
def browser_time_zone() -> str:
    return "Europe/Lisbon"


@pytest.fixture
def context(new_context, browser_locale, browser_time_zone):
    return new_context(locale=browser_locale, timezone_id=browser_time_zone)


@pytest.fixture
def agent_user(transactional_db):
    """Transactional tests flush the tables after each test, the migrations' Agents group
    included: recreate it (post_migrate has already recreated the permissions)."""
    from django.contrib.auth.models import Group, Permission, User

    group, _ = Group.objects.get_or_create(name="Agents")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orders",
            codename__in=["view_order", "change_shipping_address"],
        )
    )
    user = User.objects.create_user("agent", password="agent-password-1")
    user.groups.add(group)
    return user


@pytest.fixture
def supervisor_user(transactional_db):
    """As agent_user: the Supervisors group (view and cancel orders) recreated after a flush."""
    from django.contrib.auth.models import Group, Permission, User

    group, _ = Group.objects.get_or_create(name="Supervisors")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orders", codename__in=["view_order", "cancel_order"]
        )
    )
    user = User.objects.create_user("supervisor", password="supervisor-password-1")
    user.groups.add(group)
    return user
