"""The order page's panels come from the cache per order version: what changes the order shows
at once, and nothing of one agent reaches another. The page writes one audit row per view."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from orders import selectors, services
from orders.console import presenters as console
from orders.documents.exporting import export_document
from orders.models import AccessAudit, Address
from tests.conftest import content, event

ORDER_URL = "/agent/customers/customer123/orders/order123"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order(make_order):
    return make_order(
        items=[{"name": "Trail shoe", "quantity": 2, "price": Decimal("49.90")}],
        events=[
            event("CONFIRMED", "CONFIRMED", 14),
            {  # still cancellable: nothing has left the warehouse
                "generic_type": "CONFIRMED",
                "detailed_type": "CONFIRMED",
                "status_date_time": datetime(2021, 9, 15, 12, 0, tzinfo=UTC),
                "description": "Payment accepted",
            },
        ],
    )


def user_in(group: str, username: str) -> User:
    user = User.objects.create_user(username, password="agent-password-1")
    user.groups.add(services.role_group(name=group))
    return user


def signed_in(user: User, **cookies: str) -> Client:
    client = Client()
    client.force_login(user)
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def timeline(text: str) -> str:
    return text[text.index('<section id="timeline"') : text.index('<section id="shipments"')]


# --- the cache serves the same order version --------------------------------------------------


def test_a_second_view_of_the_same_order_version_shows_the_same_page(agent_client, order):
    first = content(agent_client.get(ORDER_URL))
    second = content(agent_client.get(ORDER_URL))

    assert "Payment accepted" in second
    assert "Trail shoe" in second
    # Only the CSRF token differs between two renders of a page.
    assert first.split('<main id="main"')[1] == second.split('<main id="main"')[1]


def test_the_page_costs_the_same_queries_with_its_panels_cached_whatever_the_order_size(
    agent_client, make_order, make_shipment, django_assert_num_queries
):
    order = make_order(
        items=[{"name": f"item {n}", "price": Decimal("1.00")} for n in range(10)],
        events=[event("CONFIRMED", "CONFIRMED", d) for d in range(1, 26)],
    )
    for _ in range(5):
        make_shipment(order, lines=[(order.items.first(), 1)])
    agent_client.get(ORDER_URL)

    # session, the user with their permissions, the order (+customer, addresses) and the
    # audit insert (with its savepoint and release)
    with django_assert_num_queries(6):
        response = agent_client.get(ORDER_URL)
    assert content(response).count('<li class="parcel') == 5


# --- what changes the order shows at once ----------------------------------------------------


def test_a_cancel_shows_on_the_next_view(agent_client, order):
    agent_client.get(ORDER_URL)

    services.order_cancel(order=order, reason="OTHER", actor="agent:x", channel="console")

    text = content(agent_client.get(ORDER_URL))
    assert "Canceled: Other" in timeline(text)


def test_a_new_parcel_shows_on_the_next_view(agent_client, order, make_shipment):
    assert "Nothing has shipped yet." in content(agent_client.get(ORDER_URL))

    make_shipment(order, lines=[(order.items.get(), 1)], tracking_number="1Z999AA10123456784")

    text = content(agent_client.get(ORDER_URL))
    assert "Nothing has shipped yet." not in text
    assert "1Z999AA10123456784" in text


def test_an_import_that_adds_an_event_shows_on_the_next_view(agent_client, order):
    agent_client.get(ORDER_URL)
    document = export_document(selectors.orders_with_documents().get(external_id="order123"))
    document["status_history"].append(
        {
            "generic_type": "OUT_FOR_DELIVERY",
            "detailed_type": "OUT_FOR_DELIVERY",
            "status_date_time": "2021-09-16T08:00:00.000Z",
            "description": "With the courier in Lisbon",
        }
    )

    result = services.orders_import(documents=[document])

    assert (result.updated, result.rejected) == (1, 0)
    assert "With the courier in Lisbon" in timeline(content(agent_client.get(ORDER_URL)))


def test_an_address_edit_shows_on_the_next_view(agent_client, order):
    agent_client.get(ORDER_URL)
    address = order.shipping_address
    Address.objects.filter(pk=address.pk).update(address="Rua do Ouro 9")
    services.orders_refresh_documents(orders=services.orders_embedding(addresses=[address]))

    assert "Rua do Ouro 9" in content(agent_client.get(ORDER_URL))


# --- nothing of one agent reaches another -------------------------------------------------------


def test_agents_reading_in_other_languages_each_get_their_own(order):
    english = signed_in(user_in("Agents", "ann"))
    portuguese = signed_in(user_in("Agents", "bruno"))

    english.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="en-GB")
    text = content(portuguese.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="pt-PT"))
    assert "Ainda nada foi enviado." in text
    assert "Nothing has shipped yet." not in text

    text = content(english.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="en-GB"))
    assert "Nothing has shipped yet." in text


def test_agents_with_other_regional_formats_each_get_their_own(order):
    british = signed_in(user_in("Agents", "ann"))
    american = signed_in(user_in("Agents", "bruno"))

    british_text = content(british.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="en-GB"))
    american_text = content(american.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="en-US"))

    assert "15 Sept 2021, 13:00" in timeline(british_text)
    assert "Sep 15, 2021, 1:00 PM" in timeline(american_text)


def test_agents_in_other_time_zones_each_get_their_own(order):
    lisbon = signed_in(user_in("Agents", "ann"), tz="Europe/Lisbon")
    new_york = signed_in(user_in("Agents", "bruno"), tz="America/New_York")

    lisbon_text = content(lisbon.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="en-GB"))
    new_york_text = content(new_york.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="en-GB"))

    assert "15 Sept 2021, 13:00" in timeline(lisbon_text)
    assert "15 Sept 2021, 08:00" in timeline(new_york_text)


def test_a_supervisors_cancel_button_never_reaches_an_agent(order):
    supervisor = signed_in(user_in("Supervisors", "sam"))
    agent = signed_in(user_in("Agents", "ann"))

    supervisor_text = content(supervisor.get(ORDER_URL))
    agent_text = content(agent.get(ORDER_URL))
    later_supervisor_text = content(supervisor.get(ORDER_URL))

    assert "Cancel order" in supervisor_text
    assert "Cancel order" not in agent_text
    assert "Cancel order" in later_supervisor_text


def test_each_agent_sees_their_own_name_and_csrf_token(order):
    ursula = signed_in(user_in("Agents", "ursula"))
    vasco = signed_in(user_in("Agents", "vasco"))

    ursula_text = content(ursula.get(ORDER_URL))
    vasco_text = content(vasco.get(ORDER_URL))

    assert "<span>ursula</span>" in ursula_text
    assert "vasco" not in ursula_text
    assert "<span>vasco</span>" in vasco_text
    assert "ursula" not in vasco_text
    ursula_token = ursula_text.split('"X-CSRFToken": "')[1].split('"')[0]
    vasco_token = vasco_text.split('"X-CSRFToken": "')[1].split('"')[0]
    assert ursula_token not in vasco_text
    assert vasco_token not in ursula_text


# --- permissions: read in one query, never kept past the request -------------------------------


def test_an_agent_whose_role_is_taken_away_is_refused_at_once(order):
    ann = user_in("Agents", "ann")
    client = signed_in(ann)
    assert client.get(ORDER_URL).status_code == 200

    ann.groups.clear()

    assert client.get(ORDER_URL).status_code == 403
    assert client.get(ORDER_URL, {"v": console.timeline_version(order)}, **HX).status_code == 403


def test_a_permission_given_to_the_user_directly_counts(order):
    ann = User.objects.create_user("ann", password="agent-password-1")
    ann.user_permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="view_order")
    )

    assert signed_in(ann).get(ORDER_URL).status_code == 200


def test_superusers_hold_every_permission_and_inactive_users_none(db):
    root = User.objects.create_superuser("root", password="root-password-1")
    ann = user_in("Agents", "ann")
    ann.is_active = False

    assert root.has_perms(["orders.view_order", "orders.cancel_order", "auth.delete_user"])
    assert ann.get_all_permissions() == set()


# --- the unchanged timeline ---------------------------------------------------------------------


def test_an_unchanged_timeline_answers_no_content_and_writes_no_audit_row(agent_client, order):
    version = console.timeline_version(order)

    response = agent_client.get(ORDER_URL, {"v": version}, **HX)

    assert response.status_code == 204
    assert response["ETag"] == f'"{version}"'
    assert not AccessAudit.objects.exists()


def test_a_changed_timeline_sends_the_fresh_one_with_its_version(agent_client, order):
    stale = console.timeline_version(order)
    services.order_cancel(order=order, reason="OTHER", actor="agent:x", channel="console")
    order.refresh_from_db()

    response = agent_client.get(ORDER_URL, {"v": stale}, **HX)

    assert response.status_code == 200
    assert "Canceled: Other" in content(response)
    assert response["ETag"] == f'"{console.timeline_version(order)}"'
    assert AccessAudit.objects.get(action="view_order").detail == "timeline"


@pytest.mark.parametrize(
    "url",
    [
        "/agent/customers/customer123/orders/nope",
        "/agent/customers/someone-else/orders/order123",
        "/agent/customers/customer123/orders/bad%20id",
    ],
)
def test_a_refresh_of_an_order_that_is_not_there_is_not_found(agent_client, order, url):
    assert agent_client.get(url, {"v": "x"}, **HX).status_code == 404


# --- one audit row per view -------------------------------------------------------------------


def test_n_page_views_leave_n_audit_rows_cached_or_not(agent_client, agent_user, order):
    for _ in range(25):
        assert agent_client.get(ORDER_URL).status_code == 200

    rows = AccessAudit.objects.filter(user=agent_user, action="view_order", detail="")
    assert rows.count() == 25


# --- the session and the user: read by hand-written queries, never kept past the request ------


def test_a_session_logged_out_elsewhere_is_refused_at_once(order):
    ann = user_in("Agents", "ann")
    browser = signed_in(ann)
    stolen = Client()
    stolen.cookies["sessionid"] = browser.cookies["sessionid"].value
    assert stolen.get(ORDER_URL).status_code == 200

    browser.post("/accounts/logout/")

    response = stolen.get(ORDER_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_expired_session_is_refused(order):
    client = signed_in(user_in("Agents", "ann"))
    Session.objects.update(expire_date=timezone.now())

    assert client.get(ORDER_URL).status_code == 302


def test_a_deactivated_agent_is_refused_at_once(order):
    ann = user_in("Agents", "ann")
    client = signed_in(ann)
    assert client.get(ORDER_URL).status_code == 200

    User.objects.filter(pk=ann.pk).update(is_active=False)

    assert client.get(ORDER_URL).status_code == 302
    poll = client.get(ORDER_URL, {"v": console.timeline_version(order)}, **HX)
    assert poll["HX-Redirect"].startswith("/accounts/login/")
