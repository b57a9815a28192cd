from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest

from orders import selectors, services
from orders.console import presenters as console
from orders.selectors import QueryKind

ORDER_URL = "/agent/customers/customer123/orders/order123"
HX = {"HTTP_HX_REQUEST": "true"}
T0 = datetime(2021, 10, 23, 12, tzinfo=UTC)
UPS = "1Z999AA10123456784"
UPS_URL = "https://wwwapps.ups.com/WebTracking/track?track=yes&amp;trackNums=1Z999AA10123456784"


@pytest.fixture
def order(make_order):
    return make_order(
        items=[
            {"name": "Trail shoes", "quantity": 1, "price": Decimal("49.90")},
            {"name": "Merino socks", "quantity": 3, "price": Decimal("5")},
        ],
        events=[
            {"generic_type": "ON_ITS_WAY", "detailed_type": "IN_TRANSIT", "status_date_time": T0}
        ],
    )


@pytest.fixture
def split(order, make_shipment):
    shoes, socks = order.items.order_by("position")
    first = make_shipment(
        order,
        lines=[(shoes, 1), (socks, 1)],
        delivery_date_start=T0 + timedelta(days=2, hours=-4),
        delivery_date_end=T0 + timedelta(days=2, hours=6),
        events=[
            {"detailed_type": "IN_TRANSIT", "status_date_time": T0, "location": "Lisbon hub"},
            {
                "detailed_type": "ATTEMPTED_DELIVERY",
                "status_date_time": T0 + timedelta(days=2),
                "description": "Nobody at home",
                "location": "Porto",
            },
        ],
    )
    second = make_shipment(
        order,
        carrier="Yamato",
        tracking_number="123456789012",
        lines=[(socks, 1)],
        shipping_date=T0 + timedelta(days=1),
        events=[{"detailed_type": "FAILURE", "status_date_time": T0 + timedelta(days=3)}],
    )
    return first, second


def panel(html: str) -> str:
    match = re.search(r'<section id="shipments".*?</section>', html, re.S)
    assert match, "no Shipments panel"
    return match.group()


def test_the_order_page_shows_each_parcel_with_a_track_link(agent_client, split):
    html = panel(agent_client.get(ORDER_URL).content.decode())

    assert "UPS" in html
    assert f'<span class="mono">{UPS}</span>' in html
    assert f'data-copy="{UPS}"' in html
    assert f'href="{UPS_URL}" target="_blank" rel="noopener noreferrer"' in html
    assert "1 × Trail shoes" in re.sub(r"<[^>]+>", "", html)
    assert "UPS Standard" in html


def test_an_unknown_carrier_gets_no_link_and_says_so(agent_client, split):
    html = panel(agent_client.get(ORDER_URL).content.decode())
    yamato = html[html.index("Yamato") :]

    assert "No tracking link for this carrier" in yamato
    assert "<a " not in yamato


def test_attempted_and_failed_deliveries_are_called_out(agent_client, split):
    html = panel(agent_client.get(ORDER_URL).content.decode())

    assert 'class="parcel parcel--attempted"' in html
    assert 'class="parcel parcel--failure"' in html
    assert "<strong>Delivery attempted</strong>" in html
    assert "<strong>Delivery failed</strong>" in html
    assert "Nobody at home" in html


def test_items_not_shipped_yet_are_listed(agent_client, split):
    text = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", panel(agent_client.get(ORDER_URL).content.decode()))
    )

    assert "Not shipped yet" in text
    assert "1 × Merino socks" in text.split("Not shipped yet")[1]
    assert "Trail shoes" not in text.split("Not shipped yet")[1]


def test_an_order_without_parcels_says_nothing_has_shipped(agent_client, order):
    html = panel(agent_client.get(ORDER_URL).content.decode())

    assert "Nothing has shipped yet." in html
    assert "Not shipped yet" not in html


def test_the_promised_window_is_shown_in_the_agents_time_zone(agent_client, split):
    agent_client.cookies["tz"] = "Europe/Lisbon"

    html = panel(agent_client.get(ORDER_URL).content.decode())

    promised = re.search(r"<dt>Promised</dt><dd>(.*?)</dd>", html).group(1)
    # 09:00 to 19:00 Lisbon summer time on 25 October 2021, one day: the end as a time only.
    assert promised == "Oct 25, 2021, 9:00 AM – 7:00 PM"


def test_the_tracking_history_is_there_without_javascript(agent_client, split):
    html = panel(agent_client.get(ORDER_URL).content.decode())

    assert "<details" in html
    assert "Tracking history (2 updates)" in html
    assert "Porto · Nobody at home" in html


def test_the_timeline_refresh_brings_the_shipments_panel_along(agent_client, split):
    response = agent_client.get(ORDER_URL, **HX)
    html = response.content.decode()

    assert response.status_code == HTTPStatus.OK
    assert html.lstrip().startswith('<section id="timeline"')
    assert (
        'id="shipments" class="panel" aria-labelledby="shipments-title" hx-swap-oob="true">' in html
    )
    assert "<html" not in html


def test_the_full_page_panel_is_not_out_of_band(agent_client, split):
    html = agent_client.get(ORDER_URL).content.decode()

    assert '<section id="shipments" class="panel" aria-labelledby="shipments-title">' in html
    assert "hx-swap-oob" not in panel(html)


def test_a_new_parcel_event_changes_the_timeline_version(agent_client, split):
    first, _ = split
    order = first.order
    before = console.timeline_version(order)

    first.events.create(detailed_type="DELIVERED", status_date_time=T0 + timedelta(days=4))
    services.order_refresh(order=order)

    assert console.timeline_version(order) != before
    html = agent_client.get(ORDER_URL, {"v": before}, **HX).content.decode()
    assert "badge--success" in panel(html)


def test_the_order_page_costs_the_same_queries_with_parcels(
    agent_client, order, make_shipment, django_assert_num_queries
):
    for _ in range(5):
        make_shipment(
            order,
            lines=[(order.items.first(), 1)],
            events=[{"detailed_type": "IN_TRANSIT", "status_date_time": T0}],
        )

    # As without parcels (9), plus their lines and events.
    with django_assert_num_queries(11):
        agent_client.get(ORDER_URL)
    # The same order version again: its panels come from the cache.
    with django_assert_num_queries(6):
        agent_client.get(ORDER_URL)
    # The refresh: the version's fields first; the panel needs the items too, for what is
    # not shipped yet; and the audit insert (with its savepoint and release).
    with django_assert_num_queries(12):
        agent_client.get(ORDER_URL, **HX)


# --- finding an order by its tracking number -----------------------------------------------


@pytest.mark.parametrize("typed", [UPS, UPS.lower(), "1Z 999 AA1 01 2345 678 4", f"  {UPS} "])
def test_a_tracking_number_is_recognised_in_the_search_box(typed):
    query = selectors.search_classify(typed)

    assert (query.kind, query.value.upper()) == (QueryKind.TRACKING_NUMBER, UPS)


def test_searching_a_tracking_number_opens_its_order(agent_client, split):
    response = agent_client.get("/agent/", {"q": "1Z 999 AA1 01 2345 678 4"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == ORDER_URL


def test_a_tracking_number_the_data_set_does_not_know_is_found_too(agent_client, split):
    response = agent_client.get("/agent/", {"q": "123456789012"})

    assert response["Location"] == ORDER_URL


def test_the_live_search_lists_the_order_of_a_tracking_number(agent_client, split):
    html = agent_client.get("/agent/", {"q": UPS}, **HX).content.decode()

    assert f'href="{ORDER_URL}"' in html
    assert "Searched as: Tracking number" in html


def test_lookup_by_tracking_number_opens_the_order(agent_client, split):
    response = agent_client.get("/agent/lookup", {"tracking_number": UPS.lower()})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == ORDER_URL


def test_lookup_by_an_unknown_tracking_number_says_no_match(agent_client, split):
    response = agent_client.get("/agent/lookup", {"tracking_number": "1Z999AA10123456785"})

    assert response.status_code == HTTPStatus.OK
    assert "No match" in response.content.decode()


def test_lookup_with_htmx_redirects_the_whole_page(agent_client, split):
    response = agent_client.get("/agent/lookup", {"tracking_number": UPS}, **HX)

    assert response["HX-Redirect"] == ORDER_URL


def test_a_parcel_shared_by_two_orders_lists_both(agent_client, split, make_order, make_shipment):
    make_shipment(make_order("order456"), tracking_number=UPS)

    response = agent_client.get("/agent/lookup", {"tracking_number": UPS})

    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().count("data-result>") == 2


def test_a_tracking_search_costs_two_queries(split, django_assert_num_queries):
    query = selectors.search_classify(UPS)

    with django_assert_num_queries(2):
        hits = selectors.console_search(query)

    assert [hit.order.external_id for hit in hits] == ["order123"]


def test_the_panel_speaks_portuguese(agent_client, split):
    html = panel(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="pt").content.decode())

    assert "Envios" in html
    assert "Seguir" in html
    assert "Ainda não enviado" in html
    assert "Histórico de seguimento (2 atualizações)" in html


def test_a_nul_byte_in_a_lookup_is_no_match_not_a_crash(agent_client, split):
    response = agent_client.get("/agent/lookup", {"tracking_number": UPS + "\x00"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["results"] == []
