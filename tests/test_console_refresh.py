"""The order page's timeline refresh when nothing changed: answered (204) before the rest of
the browser middleware, to a signed-in agent only, whose session, user and permissions are read
for every request; the user and their permissions in one query."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from orders import services
from orders.console import presenters as console
from orders.console.backends import ModelBackend
from orders.models import AccessAudit, StatusEvent
from tests.conftest import content, event

ORDER_URL = "/agent/customers/customer123/orders/order123"
HX = {"HTTP_HX_REQUEST": "true"}
SHORTCUT = "orders.console.middleware.UnchangedTimelineMiddleware"


@pytest.fixture
def order(make_order):
    return make_order(
        items=[{"name": "Trail shoe", "quantity": 2, "price": Decimal("49.90")}],
        events=[event("CONFIRMED", "CONFIRMED", 14)],
    )


def refresh(client: Client, order, **extra):
    return client.get(ORDER_URL, {"v": console.timeline_version(order)}, **HX, **extra)


def user_in(group: str, username: str) -> User:
    user = User.objects.create_user(username, password="agent-password-1")
    user.groups.add(services.role_group(name=group))
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def login_redirect(response) -> bool:
    return response.status_code == HTTPStatus.OK and response["HX-Redirect"].startswith(
        "/accounts/login/"
    )


# --- the answer ---------------------------------------------------------------------------------


def test_an_unchanged_refresh_answers_no_content_with_its_etag_and_no_cache(agent_client, order):
    response = refresh(agent_client, order)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert response["ETag"] == f'"{console.timeline_version(order)}"'
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert "Expires" in response
    assert response["Vary"] == "HX-Request, Cookie"


def test_it_is_the_views_own_answer(agent_client, agent_user, order, settings):
    answered_early = refresh(agent_client, order)
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != SHORTCUT]

    by_the_view = refresh(signed_in(agent_user), order)

    assert by_the_view.status_code == answered_early.status_code == HTTPStatus.NO_CONTENT
    assert by_the_view.content == answered_early.content == b""
    for header in ("ETag", "Cache-Control", "Content-Type", "X-Content-Type-Options"):
        assert by_the_view[header] == answered_early[header]
    assert {"HX-Request", "Cookie"} <= {name.strip() for name in by_the_view["Vary"].split(",")}


def test_an_unchanged_refresh_skips_the_language_and_content_security_policy(agent_client, order):
    # Nothing is shown: no interface language, formats or CSP are worked out for it.
    response = refresh(agent_client, order, HTTP_ACCEPT_LANGUAGE="pt-PT")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert "Content-Language" not in response
    assert "Content-Security-Policy" not in response


def test_a_matching_if_none_match_is_answered_the_same_way(agent_client, order):
    etag = f'"{console.timeline_version(order)}"'

    response = agent_client.get(ORDER_URL, HTTP_IF_NONE_MATCH=etag, **HX)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert "Content-Language" not in response


def test_an_unchanged_refresh_costs_three_queries_and_writes_no_audit_row(
    agent_client, order, django_assert_num_queries
):
    # the session, the user with their permissions, the version's fields of the order
    with django_assert_num_queries(3):
        assert refresh(agent_client, order).status_code == HTTPStatus.NO_CONTENT

    assert not AccessAudit.objects.exists()


def test_a_changed_timeline_is_still_sent_by_the_view(agent_client, order):
    stale = console.timeline_version(order)
    StatusEvent.objects.create(order=order, **event("OUT_FOR_DELIVERY", "FAILURE", 16))
    services.order_refresh(order=order)

    response = agent_client.get(ORDER_URL, {"v": stale}, **HX)

    assert response.status_code == HTTPStatus.OK
    assert content(response).strip().startswith('<section id="timeline"')
    assert "Delivery failed" in content(response)
    assert response["Content-Language"] == "en"
    assert AccessAudit.objects.get().detail == "timeline"


def test_a_changed_refresh_reads_the_user_once(
    agent_client, agent_user, order, django_assert_num_queries, settings
):
    stale = {"v": "0" * 16}
    # the session, the user with their permissions, the version's fields here and again in
    # the view, the order, its events and shipments, and the audit insert (with its savepoint
    # and release): the view reuses the user read here
    with django_assert_num_queries(10):
        agent_client.get(ORDER_URL, stale, **HX)
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != SHORTCUT]
    without_it = signed_in(agent_user)
    with django_assert_num_queries(9):
        without_it.get(ORDER_URL, stale, **HX)


# --- only for a signed-in agent, read for every request ----------------------------------------


def test_a_refresh_of_a_session_logged_out_elsewhere_goes_to_the_login_page(order):
    browser = signed_in(user_in("Agents", "ann"))
    stolen = Client()
    stolen.cookies["sessionid"] = browser.cookies["sessionid"].value
    assert refresh(stolen, order).status_code == HTTPStatus.NO_CONTENT

    browser.post("/accounts/logout/")

    assert login_redirect(refresh(stolen, order))


def test_with_sessions_in_the_cache_a_logout_elsewhere_applies_at_once(order, settings):
    # The engine with REDIS_URL: sessions read from the cache, written through to the database.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    browser = signed_in(user_in("Agents", "ann"))
    stolen = Client()
    stolen.cookies["sessionid"] = browser.cookies["sessionid"].value
    assert refresh(stolen, order).status_code == HTTPStatus.NO_CONTENT

    browser.post("/accounts/logout/")

    assert login_redirect(refresh(stolen, order))


def test_a_refresh_of_an_expired_session_goes_to_the_login_page(order):
    client = signed_in(user_in("Agents", "ann"))
    assert refresh(client, order).status_code == HTTPStatus.NO_CONTENT

    Session.objects.update(expire_date=timezone.now())

    assert login_redirect(refresh(client, order))


def test_a_refresh_after_the_password_changed_elsewhere_goes_to_the_login_page(order):
    ann = user_in("Agents", "ann")
    client = signed_in(ann)
    assert refresh(client, order).status_code == HTTPStatus.NO_CONTENT

    ann.set_password("another-password-2")
    ann.save()

    assert login_redirect(refresh(client, order))


def test_a_refresh_by_a_deactivated_agent_goes_to_the_login_page(order):
    ann = user_in("Agents", "ann")
    client = signed_in(ann)
    assert refresh(client, order).status_code == HTTPStatus.NO_CONTENT

    User.objects.filter(pk=ann.pk).update(is_active=False)

    assert login_redirect(refresh(client, order))


def test_a_refresh_by_an_agent_whose_role_was_taken_away_is_refused(order):
    ann = user_in("Agents", "ann")
    client = signed_in(ann)
    assert refresh(client, order).status_code == HTTPStatus.NO_CONTENT

    ann.groups.clear()

    assert refresh(client, order).status_code == HTTPStatus.FORBIDDEN


def test_a_refresh_without_signing_in_goes_to_the_login_page(client, order):
    assert login_redirect(refresh(client, order))


def test_a_refresh_with_a_host_not_allowed_is_a_bad_request(agent_client, order):
    response = refresh(agent_client, order, HTTP_HOST="attacker.example")

    assert response.status_code == HTTPStatus.BAD_REQUEST


# --- everything else goes on to the views -------------------------------------------------------


def test_a_refresh_of_another_customers_order_is_not_found(agent_client, order, make_customer):
    make_customer("customer456")
    url = "/agent/customers/customer456/orders/order123"

    response = agent_client.get(url, {"v": console.timeline_version(order)}, **HX)

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_refresh_by_post_is_not_allowed(agent_client, order):
    version = console.timeline_version(order)

    response = agent_client.post(f"{ORDER_URL}?v={version}", **HX)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_page_itself_with_a_version_is_the_page(agent_client, order):
    response = agent_client.get(ORDER_URL, {"v": console.timeline_version(order)})

    assert response.status_code == HTTPStatus.OK
    assert "<html" in content(response)


def test_another_pages_htmx_request_with_a_v_parameter_is_left_to_its_view(agent_client, order):
    response = agent_client.get("/agent/customers/customer123", {"v": "x"}, **HX)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Language"] == "en"


# --- the user and their permissions, one query ------------------------------------------------


def test_the_signed_in_user_is_loaded_as_the_orm_loads_them(db):
    ann = user_in("Agents", "ann")
    ann.last_login = datetime(2026, 11, 30, 9, 15, 30, 123456, tzinfo=UTC)
    ann.first_name, ann.email, ann.is_staff = "Ann", "ann@example.com", True
    ann.save()

    loaded = ModelBackend().get_user(ann.pk)

    expected = User.objects.get(pk=ann.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded._state.adding is False
    assert loaded._state.db == "default"


def test_the_users_permissions_come_with_them(db, django_assert_num_queries):
    ann = user_in("Agents", "ann")
    ann.user_permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="cancel_order"),
        # also held through the Agents group: counted once
        Permission.objects.get(content_type__app_label="orders", codename="view_order"),
    )

    with django_assert_num_queries(1):
        loaded = ModelBackend().get_user(ann.pk)
        assert loaded.has_perms(["orders.view_order", "orders.cancel_order"])
        assert not loaded.has_perm("auth.delete_user")

    assert loaded.get_all_permissions() == User.objects.get(pk=ann.pk).get_all_permissions()


def test_a_user_without_permissions_holds_none(db):
    bob = User.objects.create_user("bob", password="agent-password-1")

    assert ModelBackend().get_user(bob.pk).get_all_permissions() == set()


def test_a_superuser_still_holds_every_permission(db):
    root = User.objects.create_superuser("root", password="root-password-1")

    loaded = ModelBackend().get_user(root.pk)

    assert loaded.has_perms(["orders.view_order", "orders.cancel_order", "auth.delete_user"])


def test_an_inactive_or_missing_user_is_nobody(db):
    ann = user_in("Agents", "ann")
    User.objects.filter(pk=ann.pk).update(is_active=False)

    assert ModelBackend().get_user(ann.pk) is None
    assert ModelBackend().get_user(ann.pk + 1000) is None
