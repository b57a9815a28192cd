"""The scope matrix: every API operation × {no token, other scope, read, write, read+write}.

The operations come from the served OpenAPI document, so a new operation that is not listed
in EXAMPLES below fails test_every_documented_operation_has_an_example.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.test import Client

from orders.models import Order
from tests.conftest import READ, WRITE

OTHER = "openid"  # a scope this API does not use
CHALLENGE = 'Bearer realm="api"'

# operation -> (path, JSON body for writes, the status an authorised call answers)
EXAMPLES: dict[tuple[str, str], tuple[str, dict | None, int]] = {
    ("get", "/erc/ecommerce/customers/{customer_id}/orders/{order_id}"): (
        "/erc/ecommerce/customers/customer123/orders/order123",
        None,
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/customers/{customer_id}/shipments"): (
        "/erc/ecommerce/customers/customer123/shipments",
        None,
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/customers/{customer_id}/orders/{order_id}/items"): (
        "/erc/ecommerce/customers/customer123/orders/order123/items",
        None,
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/customers/{customer_id}/orders/{order_id}/cancel-preview"): (
        "/erc/ecommerce/customers/customer123/orders/order123/cancel-preview",
        None,
        HTTPStatus.OK,
    ),
    ("post", "/erc/ecommerce/customers/{customer_id}/orders/{order_id}/cancel"): (
        "/erc/ecommerce/customers/customer123/orders/order123/cancel",
        {"cancel_reason": "CUSTOMER_REQUEST"},
        HTTPStatus.OK,
    ),
    ("post", "/erc/ecommerce/customers/{customer_id}/orders/{order_id}/change-shipping-address"): (
        "/erc/ecommerce/customers/customer123/orders/order123/change-shipping-address",
        {"city": "Porto", "region_code": "PT-13", "zip_code": "4000-322"},
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/customers/{customer_id}/orders"): (
        "/erc/ecommerce/customers/customer123/orders",
        None,
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/customers/{customer_id}/most-recent-order"): (
        "/erc/ecommerce/customers/customer123/most-recent-order",
        None,
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/customers/{customer_id}"): (
        "/erc/ecommerce/customers/customer123",
        None,
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/external-customers"): (
        "/erc/ecommerce/external-customers?email=john.doe@example.com",
        None,
        HTTPStatus.OK,
    ),
    ("get", "/erc/ecommerce/orders"): ("/erc/ecommerce/orders", None, HTTPStatus.OK),
}


def documented_operations() -> dict[tuple[str, str], str]:
    """(method, path template) -> the scope the OpenAPI document says it needs."""
    document = Client().get("/erc/ecommerce/openapi.json").json()
    operations = {}
    for path, items in document["paths"].items():
        for method, operation in items.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                [requirement] = operation["security"]
                [scopes] = requirement.values()
                operations[(method, path)] = " ".join(scopes)
    return operations


def call(client: Client, operation: tuple[str, str], auth: dict[str, str]):
    method, _ = operation
    path, body, _ = EXAMPLES[operation]
    if method == "get":
        return client.get(path, **auth)
    return client.generic(
        method.upper(), path, json.dumps(body), content_type="application/json", **auth
    )


@pytest.fixture
def order(make_order) -> Order:
    confirmed = {"generic_type": "CONFIRMED", "status_date_time": datetime(2021, 9, 14, tzinfo=UTC)}
    return make_order(events=[confirmed])


def test_every_documented_operation_has_an_example(db):
    assert set(documented_operations()) == set(EXAMPLES)


def test_reads_need_the_read_scope_and_writes_the_write_scope(db):
    scopes = documented_operations()

    assert {scope for (method, _), scope in scopes.items() if method == "get"} == {READ}
    assert {scope for (method, _), scope in scopes.items() if method != "get"} == {WRITE}


@pytest.mark.parametrize("operation", sorted(EXAMPLES))
def test_without_a_token_every_operation_is_401(client, order, operation):
    response = call(client, operation, {})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("operation", sorted(EXAMPLES))
def test_with_another_scope_every_operation_is_403_naming_the_scope_it_needs(
    client, bearer, order, operation
):
    needed = READ if operation[0] == "get" else WRITE

    response = call(client, operation, bearer(OTHER))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "insufficient_scope"
    assert response["WWW-Authenticate"] == (
        f'{CHALLENGE}, error="insufficient_scope", scope="{needed}"'
    )


@pytest.mark.parametrize("operation", sorted(EXAMPLES))
@pytest.mark.parametrize(
    "scopes", [(READ,), (WRITE,), (READ, WRITE)], ids=["read", "write", "read+write"]
)
def test_a_token_is_answered_by_what_its_scopes_allow(client, bearer, order, operation, scopes):
    needed = READ if operation[0] == "get" else WRITE
    expected = EXAMPLES[operation][2] if needed in scopes else HTTPStatus.FORBIDDEN

    response = call(client, operation, bearer(*scopes))

    assert response.status_code == expected
    if expected == HTTPStatus.FORBIDDEN:
        assert response.json()["code"] == "insufficient_scope"
        assert b"John" not in response.content
