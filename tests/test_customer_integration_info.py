"""A customer who came from a connector links to their page there (integration_info)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from orders import services
from orders.models import Customer, Order
from tests.test_import_orders import document, summary

CUSTOMER = "/erc/ecommerce/customers/customer123"
SHOPIFY_PAGE = {
    "external_url": "https://casa-lisboa.myshopify.com/admin/customers/115310627314723954",
    "type": "SHOPIFY",
}


def with_page(page) -> dict:
    record = document()
    record["customer"]["integration_info"] = page
    return record


@pytest.fixture
def imported(db):
    def run(record: dict):
        result = services.orders_import(documents=[record])
        return result.summary(), [(error.field, error.description) for error in result.errors]

    return run


def test_the_api_serves_the_customers_page_in_the_source_system(client, read_auth, imported):
    assert imported(with_page(SHOPIFY_PAGE)) == (summary(created=1), [])

    body = client.get(CUSTOMER, **read_auth).json()

    assert body["integration_info"] == SHOPIFY_PAGE


def test_a_customer_from_no_connector_has_no_integration_info(client, read_auth, imported):
    imported(document())

    response = client.get(CUSTOMER, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert "integration_info" not in response.json()


def test_it_round_trips_through_export(imported):
    imported(with_page(SHOPIFY_PAGE))

    exported = next(services.orders_export())

    assert exported["customer"]["integration_info"] == SHOPIFY_PAGE
    assert imported(exported) == (summary(unchanged=1), [])


def test_a_long_numeric_customer_id_in_its_own_page_is_not_taken_for_a_card(imported):
    # Shopify's customer ids run to 13 digits and more; 4111111111111111 passes Luhn.
    record = with_page(
        {"external_url": "https://shop.example/admin/customers/4111111111111111", "type": "SHOPIFY"}
    )
    record["customer_id"] = record["customer"]["id"] = "4111111111111111"

    assert imported(record) == (summary(created=1), [])


def test_a_later_import_without_it_clears_it(imported):
    imported(with_page(SHOPIFY_PAGE))

    imported(document())

    customer = Customer.objects.get(external_id="customer123")
    assert (customer.integration_type, customer.integration_url) == ("", "")


@pytest.mark.parametrize(
    ("page", "field", "description"),
    [
        (
            {**SHOPIFY_PAGE, "external_url": "http://casa-lisboa.myshopify.com/admin/customers/1"},
            "customer.integration_info.external_url",
            "Must be an absolute https URL.",
        ),
        (
            {**SHOPIFY_PAGE, "external_url": "javascript:alert(1)"},
            "customer.integration_info.external_url",
            "Must be an absolute http(s) URL.",
        ),
        (
            {"type": "SHOPIFY"},
            "customer.integration_info.external_url",
            "This field is required.",
        ),
        (
            {**SHOPIFY_PAGE, "type": "MAGENTO"},
            "customer.integration_info.type",
            "Must be one of UNKNOWN, SHOPIFY.",
        ),
        (
            {**SHOPIFY_PAGE, "external_url": "https://shop.example/customers/4111111111111111"},
            "customer.integration_info.external_url",
            "Looks like a full payment card number; only the last four digits may be stored.",
        ),
        (
            {**SHOPIFY_PAGE, "owner": "me"},
            "customer.integration_info.owner",
            "Unknown field.",
        ),
    ],
)  # fmt: skip
def test_a_bad_page_is_rejected_by_field_and_nothing_is_saved(imported, page, field, description):
    result, errors = imported(with_page(page))

    assert result == summary(rejected=1)
    assert errors == [(field, description)]
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


def test_the_console_customer_page_links_to_the_shop_admin(agent_client, imported):
    imported(with_page(SHOPIFY_PAGE))

    page = agent_client.get("/agent/customers/customer123").content.decode()

    assert (
        f'<a href="{SHOPIFY_PAGE["external_url"]}" target="_blank" rel="noopener noreferrer">'
        "Open in Shopify</a>"
    ) in page


def test_the_console_shows_no_shop_page_for_other_customers(agent_client, imported):
    imported(document())

    page = agent_client.get("/agent/customers/customer123").content.decode()

    assert "Shop page" not in page
