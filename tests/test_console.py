from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from orders import selectors, services
from orders.console import presenters as console
from orders.models import AccessAudit, StatusEvent
from orders.selectors import QueryKind
from tests.conftest import content, event

ORDER_URL = "/agent/customers/customer123/orders/order123"
CUSTOMER_URL = "/agent/customers/customer123"
HX = {"HTTP_HX_REQUEST": "true"}
PAGES = ["/agent/", "/agent/lookup?phone=910000000", CUSTOMER_URL, ORDER_URL]


@pytest.fixture
def shoe_order(make_order):
    return make_order(
        order_number="#Y34DHR",
        is_refunded=True,
        discounts_amount=Decimal("1.00"),
        shipping_amount=Decimal("2.00"),
        taxes_amount=Decimal("0.50"),
        original_total_amount=Decimal("10.00"),
        final_total_amount=Decimal("11.50"),
        items=[
            {"name": "Blue shoe", "sku": "SHOE-1", "quantity": 2, "price": Decimal("4.00")},
            {"name": "Sock", "quantity": 1, "price": Decimal("2.00")},
        ],
        events=[
            event("CONFIRMED", "CONFIRMED", 14),
            event("ON_ITS_WAY", "IN_TRANSIT", 15),
        ],
    )


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, shoe_order, url):
    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/?next=")


def test_an_expired_session_under_htmx_sends_the_whole_page_to_the_login(client, shoe_order):
    response = client.get(ORDER_URL, HTTP_HX_CURRENT_URL=f"http://testserver{ORDER_URL}", **HX)

    assert response.status_code == HTTPStatus.OK
    assert response["HX-Redirect"] == f"/accounts/login/?next={ORDER_URL}"


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
@pytest.mark.parametrize("url", PAGES)
def test_signed_in_non_agents_get_a_friendly_403(client, shoe_order, url, headers):
    client.force_login(User.objects.create_user("clerk", password="clerk-password-1"))

    response = client.get(url, **headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "not in the Agents group" in content(response)
    assert AccessAudit.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "status"),
    # The screen-pop link with one match goes straight to the customer.
    list(zip(PAGES, [HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.OK, HTTPStatus.OK], strict=True)),
)
def test_agents_see_every_console_page(agent_client, shoe_order, url, status):
    response = agent_client.get(url)

    assert response.status_code == status


def test_the_login_page_is_a_styled_form(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == HTTPStatus.OK
    assert 'autocomplete="current-password"' in content(response)
    assert "console/console.css" in content(response)


def test_agents_sign_in_and_land_on_the_search_page(client, agent_user):
    response = client.post(
        "/accounts/login/", {"username": "agent", "password": "agent-password-1"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/agent/"


def test_a_wrong_password_shows_an_error_on_the_login_page(client, agent_user):
    response = client.post("/accounts/login/", {"username": "agent", "password": "nope"})

    assert response.status_code == HTTPStatus.OK
    assert 'role="alert"' in content(response)


def test_logout_is_a_post_that_returns_to_the_login_page(agent_client):
    response = agent_client.post("/accounts/logout/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/login/"
    assert agent_client.get("/agent/").status_code == HTTPStatus.FOUND


def test_logout_by_get_is_refused(agent_client):
    assert agent_client.get("/accounts/logout/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_console_pages_refuse_post(agent_client, shoe_order):
    assert agent_client.post(ORDER_URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- Search type detection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("#Y34DHR", QueryKind.ORDER_NUMBER, "#Y34DHR"),
        ("  #Y34DHR ", QueryKind.ORDER_NUMBER, "#Y34DHR"),
        ("John.Doe@Example.com", QueryKind.EMAIL, "john.doe@example.com"),
        ("910 000 000", QueryKind.PHONE, "+351910000000"),
        ("+351 910-000-000", QueryKind.PHONE, "+351910000000"),
        ("00351 910 000 000", QueryKind.PHONE, "+351910000000"),
        ("(+351) 91 000 00 00", QueryKind.PHONE, "+351910000000"),
        ("+1 (415) 555-2671", QueryKind.PHONE, "+14155552671"),
        ("customer123", QueryKind.REFERENCE, "customer123"),
        ("order123", QueryKind.REFERENCE, "order123"),
        ("Y34DHR", QueryKind.REFERENCE, "Y34DHR"),
        ("123456", QueryKind.REFERENCE, "123456"),
        ("John   Doe", QueryKind.NAME, "John Doe"),
        ("Maria João", QueryKind.NAME, "Maria João"),
        ("   ", QueryKind.EMPTY, ""),
    ],
)
def test_search_recognises_what_was_typed(typed, kind, value):
    query = selectors.search_classify(typed)

    assert (query.kind, query.value) == (kind, value)


def test_phone_numbers_without_country_code_use_the_configured_region(settings):
    settings.ERCDASH_DEFAULT_PHONE_REGION = "US"

    assert selectors.search_classify("(415) 555-2671").value == "+14155552671"


# --- Search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "#Y34DHR",
        "#y34dhr",
        "Y34DHR",
        "order123",
    ],
)
def test_an_order_search_with_one_hit_opens_the_order(agent_client, shoe_order, typed):
    response = agent_client.get("/agent/", {"q": typed})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == ORDER_URL


@pytest.mark.parametrize(
    "typed",
    [
        "customer123@example.com",
        "CUSTOMER123@EXAMPLE.COM",
        "910000000",
        "+351 91 000 00 00",
        "00351910000000",
        "customer123",
        "John Doe",
        "doe",
    ],
)
def test_a_customer_search_with_one_hit_opens_the_customer(agent_client, shoe_order, typed):
    response = agent_client.get("/agent/", {"q": typed})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == CUSTOMER_URL


def test_an_htmx_search_with_one_hit_shows_it_as_the_only_result(agent_client, shoe_order):
    response = agent_client.get("/agent/", {"q": "#Y34DHR"}, **HX)

    assert response.status_code == HTTPStatus.OK
    assert content(response).strip().startswith('<section id="results"')
    assert "<html" not in content(response)
    assert content(response).count("data-result>") == 1
    assert f'href="{ORDER_URL}"' in content(response)


def test_a_search_with_several_hits_lists_them(agent_client, make_customer, shoe_order):
    make_customer("customer456", first_name="Joan", last_name="Doe", phone_number="")

    response = agent_client.get("/agent/", {"q": "Doe"})

    assert response.status_code == HTTPStatus.OK
    assert content(response).count("data-result>") == 2
    assert "<html" in content(response)


def test_an_htmx_search_with_several_hits_lists_them(agent_client, make_customer, shoe_order):
    make_customer("customer456", first_name="Joan", last_name="Doe", phone_number="")

    response = agent_client.get("/agent/", {"q": "Doe"}, **HX)

    assert response.status_code == HTTPStatus.OK
    assert content(response).count("data-result>") == 2
    assert "<html" not in content(response)


def test_a_search_without_hits_says_so(agent_client, shoe_order):
    response = agent_client.get("/agent/", {"q": "nobody@example.com"})

    assert response.status_code == HTTPStatus.OK
    assert "Nothing matches “nobody@example.com”." in content(response)
    assert 'value="nobody@example.com"' in content(response)


def test_an_htmx_search_without_hits_says_so(agent_client, shoe_order):
    response = agent_client.get("/agent/", {"q": "nobody@example.com"}, **HX)

    assert response.status_code == HTTPStatus.OK
    assert "Nothing matches" in content(response)


def test_the_empty_search_page_has_the_live_search_box(agent_client, db):
    response = agent_client.get("/agent/")

    assert response.status_code == HTTPStatus.OK
    assert 'hx-trigger="input changed delay:300ms, search"' in content(response)
    assert 'action="/agent/"' in content(response)


def test_an_all_digit_order_number_is_found_even_if_it_looks_like_a_phone(agent_client, make_order):
    make_order("order9", order_number="912345678")

    response = agent_client.get("/agent/", {"q": "912345678"})

    assert response["Location"] == "/agent/customers/customer123/orders/order9"


def test_search_costs_the_same_queries_whatever_it_finds(
    agent_client, make_customer, make_order, django_assert_num_queries
):
    for index in range(15):
        customer = make_customer(f"c{index}", last_name="Silva", phone_number="")
        make_order(f"o{index}", customer=customer, order_number="#SAME")

    # session, the user with their permissions (their own and their groups'), orders, and the
    # audit insert (with its savepoint and release); a bare word (a name or an id) also looks
    # at customers
    with django_assert_num_queries(6):
        agent_client.get("/agent/", {"q": "#SAME"}, **HX)
    with django_assert_num_queries(7):
        agent_client.get("/agent/", {"q": "Silva"}, **HX)


# --- Screen-pop lookup -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"phone": "+351910000000"}, CUSTOMER_URL),
        ({"phone": "910 000 000"}, CUSTOMER_URL),
        ({"email": "Customer123@example.com"}, CUSTOMER_URL),
        ({"order_number": "#Y34DHR"}, ORDER_URL),
        ({"order_number": "Y34DHR"}, ORDER_URL),
    ],
)
def test_a_screen_pop_with_one_hit_opens_it(agent_client, shoe_order, params, location):
    response = agent_client.get("/agent/lookup", params)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == location


def test_an_htmx_screen_pop_with_one_hit_redirects_the_client(agent_client, shoe_order):
    response = agent_client.get("/agent/lookup", {"phone": "+351910000000"}, **HX)

    assert response["HX-Redirect"] == CUSTOMER_URL


def test_a_screen_pop_with_several_hits_lists_them(agent_client, make_customer, shoe_order):
    make_customer("customer456", phone_number="+351910000000")

    response = agent_client.get("/agent/lookup", {"phone": "+351910000000"})

    assert response.status_code == HTTPStatus.OK
    assert content(response).count("data-result>") == 2


@pytest.mark.parametrize(
    "params",
    [
        {"phone": "+351 999 999 999"},
        {"phone": "not a phone"},
        {"email": "nobody@example.com"},
        {"order_number": "#NOPE"},
    ],
)
def test_a_screen_pop_without_a_match_says_so_with_the_box_prefilled(
    agent_client, shoe_order, params
):
    response = agent_client.get("/agent/lookup", params)

    assert response.status_code == HTTPStatus.OK
    assert "No match" in content(response)
    value = next(iter(params.values()), "")
    assert f'name="q" type="search" value="{value}"' in content(response)


def test_a_screen_pop_without_parameters_is_the_search_page(agent_client, db):
    response = agent_client.get("/agent/lookup")

    assert response.status_code == HTTPStatus.OK
    assert "No match" not in content(response)
    assert "Find a customer or order" in content(response)


# --- Customer page -----------------------------------------------------------------------


def test_the_customer_page_shows_the_profile_and_addresses(agent_client, shoe_order):
    response = agent_client.get(CUSTOMER_URL)

    text = content(response)
    assert response.status_code == HTTPStatus.OK
    assert "customer123@example.com" in text
    assert "+351 910 000 000" in text
    assert "Rua Augusta 1" in text
    assert "#Y34DHR" in text


def test_the_customer_page_lists_orders_newest_first(agent_client, make_order):
    for day in (1, 3, 2):
        make_order(f"o{day}", purchase_datetime=datetime(2024, 1, day, tzinfo=UTC))

    text = content(agent_client.get(CUSTOMER_URL))

    assert text.index("#O3") < text.index("#O2") < text.index("#O1")


@pytest.fixture
def many_orders(make_order):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        make_order(f"o{index:02}", purchase_datetime=start + timedelta(days=index))
        for index in range(25)
    ]


def test_the_customer_page_shows_ten_orders_and_a_real_load_more_link(agent_client, many_orders):
    text = content(agent_client.get(CUSTOMER_URL))

    assert text.count('class="result"') == 10
    assert 'href="?page=2" hx-get="?page=2"' in text


def test_load_more_without_htmx_shows_every_page_so_far(agent_client, many_orders):
    text = content(agent_client.get(CUSTOMER_URL, {"page": "2"}))

    assert text.count('class="result"') == 20
    assert "<html" in text
    assert 'href="?page=3"' in text


def test_load_more_with_htmx_returns_only_the_next_rows(agent_client, many_orders):
    text = content(agent_client.get(CUSTOMER_URL, {"page": "3"}, **HX))

    assert text.count('class="result"') == 5
    assert "<html" not in text
    assert "?page=4" not in text
    assert "#O04" in text


def test_a_missing_customer_is_a_404_page(agent_client, db):
    response = agent_client.get("/agent/customers/nobody")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "There is no such customer or order" in content(response)


def test_the_customer_page_costs_a_constant_number_of_queries(
    agent_client, many_orders, django_assert_num_queries
):
    # session, the user with their permissions, customer, addresses, orders, and the audit
    # insert (with its savepoint and release: audit_record is atomic), for the page and its rows
    with django_assert_num_queries(8):
        agent_client.get(CUSTOMER_URL, {"page": "3"})
    with django_assert_num_queries(8):
        agent_client.get(CUSTOMER_URL, {"page": "3"}, **HX)


# --- Order page --------------------------------------------------------------------------


def test_the_order_page_shows_every_panel(agent_client, shoe_order):
    response = agent_client.get(ORDER_URL)

    text = content(response)
    assert response.status_code == HTTPStatus.OK
    for panel in ("order-header", "timeline", "items", "price", "payment", "addresses"):
        assert f'id="{panel}"' in text
    assert 'data-copy="#Y34DHR"' in text
    assert "**** **** **** 4567" in text
    assert "Refunded" in text
    assert "Blue shoe" in text
    assert "Qty 2" in text
    assert 'id="order-actions"' in text


def test_the_price_summary_shows_how_the_total_is_made_up(agent_client, shoe_order):
    text = content(agent_client.get(ORDER_URL))

    rows = re.findall(
        r'<th scope="row">(.*?)</th>\s*<td class="sign" aria-hidden="true">(.*?)</td>\s*'
        r'<td class="amount">(.*?)</td>',
        text,
    )
    assert rows == [
        ("Original total", "", "€10.00"),
        ("Discounts", "−", "€1.00"),
        ("Shipping", "+", "€2.00"),
        ("Taxes", "+", "€0.50"),
        ("Final total", "=", "€11.50"),
    ]


def test_addresses_have_copy_buttons_with_the_address_text(agent_client, shoe_order):
    text = content(agent_client.get(ORDER_URL))

    assert 'data-copy="John Doe\nRua Augusta 1\n1100-048 Lisbon\nLisboa, Portugal"' in text
    assert "Copy shipping address" in text
    assert "Copy billing address" in text


def test_the_timeline_is_a_stepper_with_the_current_stage_marked(agent_client, shoe_order):
    text = content(agent_client.get(ORDER_URL))

    steps = re.findall(r'<li class="step step--(\w+)"', text)
    assert steps == ["done", "current", "todo", "todo"]
    assert '<span class="step-label">On its way</span>' in text
    assert "In transit" in text


def test_pickup_orders_use_pickup_wording(agent_client, make_order):
    make_order(
        delivery_type="LOCAL_PICKUP",
        events=[event("OUT_FOR_DELIVERY", "READY_FOR_PICKUP", 15)],
    )

    text = content(agent_client.get(ORDER_URL))

    assert '<span class="step-label">Ready for pickup</span>' in text
    assert '<span class="step-label">Picked up</span>' in text
    assert "Out for delivery" not in text


@pytest.mark.parametrize(
    ("detailed", "css", "label"),
    [("ATTEMPTED_DELIVERY", "event--attempted", "Delivery attempted"),
     ("FAILURE", "event--failure", "Delivery failed")],
)  # fmt: skip
def test_failed_and_attempted_deliveries_are_called_out(
    agent_client, make_order, detailed, css, label
):
    make_order(events=[event("OUT_FOR_DELIVERY", detailed, 15, description="Nobody home")])

    text = content(agent_client.get(ORDER_URL))

    assert f'class="event {css}"' in text
    assert f"<strong>{label}</strong>" in text
    assert "Nobody home" in text


def test_a_canceled_order_has_a_badge(agent_client, make_order):
    make_order(cancellation_status="CANCELED")

    assert "Canceled</span>" in content(agent_client.get(ORDER_URL))


def test_the_purchase_date_is_shown_in_the_agents_time_zone(agent_client, shoe_order):
    agent_client.cookies["tz"] = "America/New_York"

    text = content(agent_client.get(ORDER_URL))

    assert 'datetime="2021-09-14T08:16:50.078000-04:00"' in text
    assert ">EDT</abbr>" in text


def test_the_zone_cookie_is_read_as_the_browser_writes_it_url_encoded(agent_client, shoe_order):
    agent_client.cookies["tz"] = "America%2FNew_York"

    text = content(agent_client.get(ORDER_URL))

    assert 'datetime="2021-09-14T08:16:50.078000-04:00"' in text
    assert 'title="America/New_York">EDT</abbr>' in text


def test_without_a_time_zone_cookie_the_console_default_applies(agent_client, shoe_order):
    text = content(agent_client.get(ORDER_URL))

    assert 'datetime="2021-09-14T13:16:50.078000+01:00"' in text


def test_a_bogus_time_zone_cookie_falls_back_to_the_default(agent_client, shoe_order):
    agent_client.cookies["tz"] = "Mars/Olympus"

    text = content(agent_client.get(ORDER_URL))

    assert 'datetime="2021-09-14T13:16:50.078000+01:00"' in text


def test_the_htmx_order_request_returns_only_the_timeline(agent_client, shoe_order):
    response = agent_client.get(ORDER_URL, **HX)

    text = content(response)
    assert response.status_code == HTTPStatus.OK
    assert text.strip().startswith('<section id="timeline"')
    assert "<html" not in text
    assert 'hx-trigger="every 30s"' in text
    assert response["ETag"] == f'"{console.timeline_version(shoe_order)}"'


def test_the_full_order_page_is_not_the_timeline_partial(agent_client, shoe_order):
    response = agent_client.get(ORDER_URL)

    assert "<html" in content(response)
    assert "HX-Request" in response["Vary"]


def test_the_timeline_refresh_interval_is_configurable(agent_client, shoe_order, settings):
    settings.ERCDASH_TIMELINE_REFRESH_SECONDS = 2

    assert 'hx-trigger="every 2s"' in content(agent_client.get(ORDER_URL, **HX))


def test_an_unchanged_timeline_answers_204(agent_client, shoe_order):
    version = console.timeline_version(shoe_order)

    response = agent_client.get(ORDER_URL, {"v": version}, **HX)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""


def test_an_unchanged_timeline_answers_204_to_if_none_match(agent_client, shoe_order):
    etag = f'"{console.timeline_version(shoe_order)}"'

    response = agent_client.get(ORDER_URL, HTTP_IF_NONE_MATCH=etag, **HX)

    assert response.status_code == HTTPStatus.NO_CONTENT


def test_a_changed_timeline_is_sent_again_with_the_new_event(agent_client, shoe_order):
    old = console.timeline_version(shoe_order)
    StatusEvent.objects.create(order=shoe_order, **event("OUT_FOR_DELIVERY", "FAILURE", 16))
    services.order_refresh(order=shoe_order)

    response = agent_client.get(ORDER_URL, {"v": old}, **HX)

    assert response.status_code == HTTPStatus.OK
    assert "Delivery failed" in content(response)
    assert f"?v={console.timeline_version(shoe_order)}" in content(response)


@pytest.mark.parametrize(
    "url",
    [
        "/agent/customers/customer123/orders/nope",
        "/agent/customers/nobody/orders/order123",
    ],
)
def test_a_missing_order_is_a_404_page(agent_client, shoe_order, url):
    response = agent_client.get(url)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "There is no such customer or order" in content(response)


def test_an_order_of_another_customer_is_a_404_page(agent_client, make_customer, shoe_order):
    make_customer("customer456")

    response = agent_client.get("/agent/customers/customer456/orders/order123")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_an_order_of_another_customer_is_a_404_for_htmx_too(
    agent_client, make_customer, shoe_order
):
    make_customer("customer456")

    response = agent_client.get("/agent/customers/customer456/orders/order123", **HX)

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_order_page_costs_the_same_queries_whatever_the_order_size(
    agent_client, make_order, django_assert_num_queries
):
    many = [{"name": f"item {n}", "price": Decimal("1.00")} for n in range(30)]
    make_order(items=many, events=[event("CONFIRMED", "CONFIRMED", d) for d in range(1, 25)])

    # session, the user with their permissions, order (+customer, addresses), events, items,
    # shipments, and the audit insert (with its savepoint and release: audit_record is atomic)
    with django_assert_num_queries(9):
        agent_client.get(ORDER_URL)
    # the same order version again: its panels come from the cache
    with django_assert_num_queries(6):
        agent_client.get(ORDER_URL)
    # the timeline refresh and the shipments panel with it: the version's fields, then the
    # order, its events and shipments (no items), and the audit insert
    with django_assert_num_queries(9):
        agent_client.get(ORDER_URL, **HX)


def test_an_unchanged_timeline_costs_one_order_query(
    agent_client, shoe_order, django_assert_num_queries
):
    version = console.timeline_version(shoe_order)

    # session, the user with their permissions, and the version's fields of the order
    with django_assert_num_queries(3):
        agent_client.get(ORDER_URL, {"v": version}, **HX)


# --- Access audit ------------------------------------------------------------------------


def test_each_order_page_view_writes_an_audit_row(agent_client, agent_user, shoe_order):
    agent_client.get(ORDER_URL)
    agent_client.get(ORDER_URL)

    rows = list(
        AccessAudit.objects.values_list(
            "user", "actor", "channel", "action", "customer_external_id", "order_external_id"
        )
    )
    expected = (agent_user.pk, "agent:agent", "console", "view_order", "customer123", "order123")
    assert rows == [expected, expected]


def test_the_audit_row_carries_the_request_id(agent_client, shoe_order):
    agent_client.get(ORDER_URL, HTTP_X_REQUEST_ID="req-123")

    assert AccessAudit.objects.get().request_id == "req-123"


def test_each_customer_page_view_writes_an_audit_row(agent_client, agent_user, shoe_order):
    agent_client.get(CUSTOMER_URL)

    row = AccessAudit.objects.get()
    assert (row.user, row.channel, row.action, row.customer_external_id, row.order_external_id) == (
        agent_user,
        "console",
        "view_customer",
        "customer123",
        "",
    )


def audit_rows() -> list[tuple[str, str, str, str]]:
    return list(
        AccessAudit.objects.order_by("id").values_list(
            "action", "customer_external_id", "order_external_id", "detail"
        )
    )


def test_partials_that_show_customer_data_leave_no_audit_gap(agent_client, shoe_order):
    agent_client.get(ORDER_URL, **HX)
    agent_client.get(CUSTOMER_URL, {"page": "2"}, **HX)

    assert audit_rows() == [
        ("view_order", "customer123", "order123", "timeline"),
        ("view_customer", "customer123", "", "orders page 2"),
    ]


def test_an_unchanged_timeline_shows_nothing_and_writes_no_audit_row(agent_client, shoe_order):
    agent_client.get(ORDER_URL, {"v": console.timeline_version(shoe_order)}, **HX)

    assert AccessAudit.objects.count() == 0


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_search_is_audited_by_kind_and_result_count_never_the_text(
    agent_client, shoe_order, headers
):
    agent_client.get("/agent/", {"q": "Doe"}, **headers)
    agent_client.get("/agent/", {"q": "customer123@example.com"}, **headers)
    agent_client.get("/agent/", {"q": "Nobody Here"}, **headers)
    agent_client.get("/agent/", {"q": " "}, **headers)

    assert [row[3] for row in audit_rows() if row[0] == "search"] == [
        "reference: 1 result",
        "email: 1 result",
        "name: 0 results",
    ]
    written = json.dumps(list(AccessAudit.objects.values()), default=str)
    assert "Doe" not in written
    assert "customer123@example.com" not in written
    assert "Nobody" not in written


def test_a_screen_pop_is_audited_by_kind_and_count(agent_client, shoe_order):
    agent_client.get("/agent/lookup", {"phone": "+351 910 000 000"})

    assert audit_rows()[0] == ("search", "", "", "lookup phone: 1 result")
    assert "910" not in json.dumps(list(AccessAudit.objects.values()), default=str)


def test_404s_write_no_audit_rows(agent_client, shoe_order):
    agent_client.get("/agent/customers/customer123/orders/nope")
    agent_client.get("/agent/customers/nobody")

    assert AccessAudit.objects.count() == 0


# --- Money -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "EUR", "en", "€1,234.50"),
        ("1234.5", "EUR", "en_GB", "€1,234.50"),
        ("1234.5", "EUR", "pt_PT", "1\xa0234,50\xa0€"),
        ("1234.5", "EUR", "pt_BR", "€\xa01.234,50"),
        ("0", "EUR", "en", "€0.00"),
        ("1000", "JPY", "en", "¥1,000"),
        ("1000", "JPY", "pt_PT", "1\xa0000\xa0JP¥"),
        ("1.234", "KWD", "en", "KWD1.234"),
        ("1.234", "KWD", "pt_PT", "1,234\xa0KWD"),
        ("0.5", "KWD", "en", "KWD0.500"),
    ],
)
def test_money_uses_the_currencys_decimals_and_the_agents_locale(
    amount, currency, locale, expected
):
    assert console.money(Decimal(amount), currency, locale) == expected


def test_money_follows_the_active_language(db):
    with translation.override("pt"):
        assert console.money(Decimal("10.5"), "EUR") == "10,50\xa0€"


def test_the_order_page_formats_money_in_portuguese_for_portuguese_browsers(
    agent_client, make_order
):
    make_order(currency="JPY", original_total_amount=1000, final_total_amount=1000)

    text = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9"))

    assert "1\xa0000\xa0JP¥" in text


# --- Security headers and markup ---------------------------------------------------------


def test_console_pages_send_a_strict_csp(agent_client, shoe_order):
    csp = agent_client.get(ORDER_URL)["Content-Security-Policy"]

    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


def test_console_pages_may_be_framed_by_the_agent_desktop(agent_client, shoe_order, settings):
    settings.ERCDASH_FRAME_ANCESTORS = ["https://desktop.example.com"]

    response = agent_client.get(ORDER_URL)

    assert "frame-ancestors https://desktop.example.com" in response["Content-Security-Policy"]
    assert not response.has_header("X-Frame-Options")


def test_the_login_page_may_be_framed_by_the_agent_desktop(client, db, settings):
    settings.ERCDASH_FRAME_ANCESTORS = ["https://desktop.example.com"]

    response = client.get("/accounts/login/")

    assert "frame-ancestors https://desktop.example.com" in response["Content-Security-Policy"]
    assert not response.has_header("X-Frame-Options")


def test_console_pages_without_configured_ancestors_refuse_framing(agent_client, shoe_order):
    response = agent_client.get(ORDER_URL)

    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_other_pages_refuse_framing(client, db, settings):
    settings.ERCDASH_FRAME_ANCESTORS = ["https://desktop.example.com"]

    response = client.get("/admin/login/")

    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_still_answers_json_under_the_csp_middleware(client, db):
    response = client.get("/erc/ecommerce/no-such-thing")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"code", "message", "description", "fields"}


@pytest.mark.parametrize("url", [CUSTOMER_URL, ORDER_URL, "/agent/?q=Doe"])
def test_pages_with_personal_data_are_not_stored(agent_client, shoe_order, url):
    assert "no-store" in agent_client.get(url)["Cache-Control"]


@pytest.mark.parametrize("url", [CUSTOMER_URL, ORDER_URL, "/agent/?q=Doe", "/agent/lookup"])
def test_pages_have_no_inline_script_style_or_hx_on(agent_client, shoe_order, url):
    text = content(agent_client.get(url))

    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    assert " style=" not in text
    assert "<style" not in text
    assert "hx-on" not in text


def test_pages_send_the_csrf_token_through_hx_headers(agent_client, shoe_order):
    text = content(agent_client.get(ORDER_URL))

    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"\w+\"\}'>", text)
    assert '"allowEval":false' in text


def test_pages_have_a_skip_link_and_landmarks(agent_client, shoe_order):
    text = content(agent_client.get(ORDER_URL))

    assert '<a class="skip-link" href="#main">' in text
    assert '<main id="main"' in text
    assert 'role="search"' in text


# --- Translations ------------------------------------------------------------------------


def test_portuguese_browsers_get_the_console_in_portuguese(agent_client, shoe_order):
    text = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="pt"))

    assert '<html lang="pt">' in text
    assert "Resumo do preço" in text
    assert "Morada de envio" in text
    assert '<span class="step-label">A caminho</span>' in text


def test_the_login_page_speaks_portuguese_too(client, db):
    text = content(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="pt-PT"))

    assert "Palavra-passe" in text


def test_favicon_ico_points_at_the_console_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "/static/console/favicon.svg"
    assert client.get(response["Location"]).status_code == HTTPStatus.OK
