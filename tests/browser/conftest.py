"""Browser tests: Playwright (sync API) driving Debian's Chromium against live_server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up data would otherwise be refused as "async-unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")


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
        "locale": "en-GB",
        "timezone_id": "Europe/Lisbon",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def agent_user(transactional_db):
    """Transactional tests flush the tables after each test, migration 0002's Agents group
    included: recreate it (post_migrate has already recreated the permissions)."""
    from django.contrib.auth.models import Group, Permission, User

    group, _ = Group.objects.get_or_create(name="Agents")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="view_order")
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
