"""Dates, times and places as an agent in London, New York, Lisbon or São Paulo reads them.

The interface language is English or Portuguese; the browser's region (Accept-Language)
decides the formats. Every console page and every partial uses presenters.format_datetime.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from orders.console import locales
from orders.console import presenters as console
from orders.models import Address
from tests.conftest import content, event

ORDER_URL = "/agent/customers/customer123/orders/order123"
CUSTOMER_URL = "/agent/customers/customer123"
HX = {"HTTP_HX_REQUEST": "true"}
LISBON = zoneinfo.ZoneInfo("Europe/Lisbon")

# The same instant, 7 January 2022 at midnight in Lisbon, for each agent.
MIDNIGHT = datetime(2022, 1, 7, 0, 0, tzinfo=UTC)
BROWSERS = {
    "en-GB,en;q=0.9": "7 Jan 2022, 00:00",
    "en-US,en;q=0.9": "Jan 7, 2022, 12:00 AM",
    "pt-PT,pt;q=0.9,en;q=0.8": "07/01/2022, 00:00",
    "pt-BR,pt;q=0.9": "7 de jan. de 2022 00:00",
}


# --- Which locale ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "language", "locale"),
    [
        ("en-GB,en;q=0.9", "en", "en_GB"),
        ("en-US,en;q=0.9", "en", "en_US"),
        ("pt-PT,pt;q=0.9", "pt", "pt_PT"),
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt", "pt_BR"),
        ("en,en-GB;q=0.8", "en", "en_GB"),  # a region further down still says British
        ("en-IE", "en", "en_IE"),
        ("de-DE,de;q=0.9,en;q=0.8", "en", "en_DE"),  # English with German conventions
        ("en", "en", "en"),  # CLDR's English is American
        ("pt", "pt", "pt_PT"),  # the translation is European Portuguese
        ("", "en", "en"),
        ("", "pt", "pt_PT"),
        ("en-ZZ", "en", "en"),  # a region CLDR does not know
        ("*", "en", "en"),
        ("x-klingon;;", "en", "en"),
    ],
)
def test_the_format_locale_is_the_interface_language_in_the_browsers_region(
    accept_language, language, locale
):
    assert locales.locale_for(accept_language, language) == locale


def test_without_a_request_the_active_language_decides():
    with translation.override("pt"):
        assert locales.format_locale() == "pt_PT"
    with translation.override("en"):
        assert locales.format_locale() == "en"


# --- format_datetime -----------------------------------------------------------------------


@pytest.fixture
def in_lisbon():
    with timezone.override(LISBON):
        yield


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en_GB", "7 Jan 2022, 00:00"),
        ("en_US", "Jan 7, 2022, 12:00 AM"),
        ("pt_PT", "07/01/2022, 00:00"),
        ("pt_BR", "7 de jan. de 2022 00:00"),
    ],
)
def test_dates_and_times_follow_the_agents_region(in_lisbon, locale, text):
    assert console.format_datetime(MIDNIGHT, locale).text == text


def test_the_day_and_month_are_never_two_bare_numbers_in_english(in_lisbon):
    november = datetime(2026, 11, 13, 1, 23, tzinfo=UTC)

    assert console.format_datetime(november, "en_GB").text == "13 Nov 2026, 01:23"
    assert console.format_datetime(november, "en_US").text == "Nov 13, 2026, 1:23 AM"


def test_the_exact_value_is_in_the_iso_form_and_the_title(in_lisbon):
    moment = console.format_datetime(datetime(2021, 9, 14, 12, 16, 50, 78000, tzinfo=UTC), "en_GB")

    assert moment == console.Moment(
        iso="2021-09-14T13:16:50.078000+01:00",
        text="14 Sept 2021, 13:16",
        title="Tuesday, 14 September 2021, 13:16:50 Western European Summer Time",
        zone="WEST",
        zone_key="Europe/Lisbon",
    )


def test_the_title_is_in_the_agents_language(in_lisbon):
    title = console.format_datetime(MIDNIGHT, "pt_PT").title

    assert title == "sexta-feira, 7 de janeiro de 2022, 00:00:00 Hora padrão da Europa Ocidental"


def test_times_are_in_the_agents_time_zone():
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        moment = console.format_datetime(MIDNIGHT, "en_US")

    assert (moment.text, moment.zone, moment.iso) == (
        "Jan 6, 2022, 7:00 PM",
        "EST",
        "2022-01-06T19:00:00-05:00",
    )


def test_the_same_instant_in_two_zones_is_formatted_for_each(in_lisbon):
    lisbon = console.format_datetime(MIDNIGHT, "en_GB")
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        tokyo = console.format_datetime(MIDNIGHT, "en_GB")

    assert (lisbon.text, tokyo.text) == ("7 Jan 2022, 00:00", "7 Jan 2022, 09:00")


def test_a_date_shows_only_the_date(in_lisbon):
    assert console.format_datetime(date(2019, 3, 2), "en_GB") == console.Moment(
        iso="2019-03-02", text="2 Mar 2019", title="Saturday, 2 March 2019"
    )
    assert console.format_datetime(date(2019, 3, 2), "pt_PT").text == "02/03/2019"


def test_a_datetime_can_be_shown_as_its_date_with_the_exact_value_in_the_title(in_lisbon):
    moment = console.format_datetime(MIDNIGHT, "en_US", with_time=False)

    assert (moment.text, moment.title) == (
        "Jan 7, 2022",
        "Friday, January 7, 2022, 12:00:00 AM Western European Standard Time",
    )


def test_nothing_formats_as_nothing():
    assert console.format_datetime(None) is None


def test_the_locale_defaults_to_the_active_one(in_lisbon):
    with locales.activated("en_GB"):
        assert console.format_datetime(MIDNIGHT).text == "7 Jan 2022, 00:00"


# --- Pages and partials ---------------------------------------------------------------------


@pytest.fixture
def order(make_order):
    return make_order(
        order_number="#Y34DHR",
        purchase_datetime=MIDNIGHT,
        events=[event("CONFIRMED", "CONFIRMED", 14), event("ON_ITS_WAY", "IN_TRANSIT", 15)],
    )


def times(text: str) -> list[str]:
    """The visible text of every <time> element, tags inside them removed."""
    return [
        re.sub(r"<[^>]+>", "", inner) for inner in re.findall(r"<time [^>]*>(.*?)</time>", text)
    ]


@pytest.mark.parametrize(("accept_language", "expected"), BROWSERS.items())
def test_the_order_header_shows_the_purchase_date_in_the_agents_format(
    agent_client, order, accept_language, expected
):
    text = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE=accept_language))

    assert times(text)[0] == f"{expected} WET"
    assert '<abbr class="tz" title="Europe/Lisbon">WET</abbr>' in text


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("en-GB", ["14 Sept 2021, 13:00", "15 Sept 2021, 13:00"]),
        ("en-US", ["Sep 14, 2021, 1:00 PM", "Sep 15, 2021, 1:00 PM"]),
        ("pt-PT", ["14/09/2021, 13:00", "15/09/2021, 13:00"]),
    ],
)
def test_timeline_events_use_the_same_style_in_the_page_and_its_refresh(
    agent_client, order, headers, accept_language, expected
):
    text = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE=accept_language, **headers))

    timeline = text[text.index('<section id="timeline"') :]
    assert times(timeline)[:2] == expected


def test_every_time_on_the_order_page_carries_its_exact_value(agent_client, order):
    text = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="en-GB"))

    tags = re.findall(r"<time [^>]*>", text)
    assert len(tags) == 3
    assert all(
        re.search(r'datetime="\d{4}-\d\d-\d\dT[^"]+" title="\w+day, [^"]+"', t) for t in tags
    )
    assert (
        '<time datetime="2022-01-07T00:00:00+00:00" '
        'title="Friday, 7 January 2022, 00:00:00 Western European Standard Time">'
    ) in text


@pytest.mark.parametrize(("accept_language", "expected"), BROWSERS.items())
def test_the_customer_page_lists_orders_in_the_agents_format(
    agent_client, order, accept_language, expected
):
    text = content(agent_client.get(CUSTOMER_URL, HTTP_ACCEPT_LANGUAGE=accept_language))

    assert expected in times(text)


def test_load_more_rows_use_the_same_style_as_the_page(agent_client, make_order):
    for index in range(11):
        make_order(f"o{index:02}", purchase_datetime=datetime(2022, 1, 7 + index, tzinfo=UTC))

    page = content(agent_client.get(CUSTOMER_URL, HTTP_ACCEPT_LANGUAGE="en-GB"))
    rows = content(
        agent_client.get(CUSTOMER_URL, {"page": "2"}, HTTP_ACCEPT_LANGUAGE="en-GB", **HX)
    )

    assert "17 Jan 2022, 00:00" in times(page)
    assert times(rows) == ["7 Jan 2022, 00:00"]


def test_customer_since_is_a_date_with_the_exact_value_in_its_title(agent_client, make_customer):
    make_customer(customer_since=datetime(2019, 3, 2, 10, 4, 11, tzinfo=UTC))

    text = content(agent_client.get(CUSTOMER_URL, HTTP_ACCEPT_LANGUAGE="en-US"))

    assert (
        '<time datetime="2019-03-02T10:04:11+00:00" '
        'title="Saturday, March 2, 2019, 10:04:11 AM Western European Standard Time">'
        "Mar 2, 2019</time>"
    ) in text


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
@pytest.mark.parametrize(("accept_language", "expected"), BROWSERS.items())
def test_search_results_use_the_same_style(
    agent_client, order, make_order, make_customer, headers, accept_language, expected
):
    jane = make_customer("customer456", first_name="Jane")
    make_order("order456", customer=jane, order_number="#Y34DHR", purchase_datetime=MIDNIGHT)

    text = content(
        agent_client.get(
            "/agent/", {"q": "#Y34DHR"}, HTTP_ACCEPT_LANGUAGE=accept_language, **headers
        )
    )

    assert times(text) == [expected, expected]


def test_money_follows_the_region_too(agent_client, make_order):
    make_order(original_total_amount=Decimal("1234.50"), final_total_amount=Decimal("1234.50"))

    brazil = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="pt-BR"))
    portugal = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="pt-PT"))

    assert "€\xa01.234,50" in brazil
    assert "1\xa0234,50\xa0€" in portugal


def test_pages_vary_on_accept_language(agent_client, order):
    response = agent_client.get(ORDER_URL, **HX)

    assert "Accept-Language" in response["Vary"]


# --- Places ----------------------------------------------------------------------------------


@pytest.fixture
def kentucky_order(make_order, make_customer):
    order = make_order()
    order.billing_address = Address.objects.create(
        customer=order.customer,
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
    return order


@pytest.mark.parametrize(
    ("accept_language", "shipping", "billing"),
    [
        ("en-GB", "Lisboa, Portugal", "Kentucky, United States"),
        ("pt-PT", "Lisboa, Portugal", "Kentucky, Estados Unidos"),
    ],
)
def test_addresses_name_the_region_and_country_in_the_agents_language(
    agent_client, kentucky_order, accept_language, shipping, billing
):
    text = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE=accept_language))

    assert shipping in text
    assert billing in text
    assert "PT-11" not in text
    assert "US-KY" not in text


def test_copy_buttons_copy_the_whole_address_with_the_names(agent_client, kentucky_order):
    text = content(agent_client.get(ORDER_URL, HTTP_ACCEPT_LANGUAGE="pt-PT"))

    assert (
        'data-copy="John Doe\n500 W Jefferson St\n40202 Louisville\nKentucky, Estados Unidos"'
        in (text)
    )


def test_the_customer_page_names_places_too(agent_client, kentucky_order):
    text = content(agent_client.get(CUSTOMER_URL, HTTP_ACCEPT_LANGUAGE="en-US"))

    assert "Lisboa, Portugal" in text
    assert "Kentucky, United States" in text


def test_an_address_with_only_a_country_names_the_country(make_customer):
    address = Address(country_code="GB")

    with locales.activated("pt_PT"):
        assert console.place_line(address) == "Reino Unido"
