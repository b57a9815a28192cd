from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest

from orders import services
from orders.demo import DemoBuilder
from orders.models import Customer, Order
from tests.conftest import READ, WRITE
from tests.contracts import contracts
from tests.test_import_orders import document

API = "/erc/ecommerce"


@pytest.fixture
def shop(db):
    """Demo orders in every state, plus the corners the demo does not reach."""
    documents = DemoBuilder(12).documents()
    documents += [
        document(
            id="refunded-custom",
            order_number="#RC1",
            customer_id="corner",
            customer={"id": "corner", "custom_fields": {"tier": "gold", "vip": True}},
            payment_status="partially_refunded",
            status="open",
            custom_fields={"gift": True, "channel": "pos", "points": 12.5},
            price_summary__total_refunded_amount={"value": 2.5, "currency": "EUR"},
            items=[
                {"id": "nameless", "quantity": 2, "price": {"value": 1, "currency": "EUR"}},
            ],
            status_history=[],
        ),
        document(
            id="bare",
            order_number="#BARE",
            customer_id="anonymous",
            customer={"id": "anonymous"},
            shipping_address=None,
            price_summary=None,
            payment_details=None,
            items=[],
            status_history=[],
        ),
    ]
    result = services.orders_import(documents=documents)
    assert result.rejected == 0, result.errors


def served(client, auth, method: str, url: str, **extra):
    response = getattr(client, method.lower())(url, **auth, **extra)
    body = json.loads(response.content) if response.content else None
    path = urlsplit(url).path
    return response.status_code, contracts.problems(method, path, response.status_code, body)


def test_every_read_of_every_order_and_customer_meets_talkdesks_shapes(client, bearer, shop):
    auth = bearer(READ)
    urls = [f"{API}/orders", f"{API}/orders?limit=2", f"{API}/external-customers"]
    for customer in Customer.objects.all():
        base = f"{API}/customers/{customer.external_id}"
        urls += [base, base + "/orders", base + "/most-recent-order"]
        urls.append(f"{API}/external-customers?ids={customer.external_id}")
    for order in Order.objects.select_related("customer"):
        base = f"{API}/customers/{order.customer.external_id}/orders/{order.external_id}"
        urls += [base, base + "/items", base + "/cancel-preview"]

    broken = {}
    for url in urls:
        status, problems = served(client, auth, "GET", url)
        if status != HTTPStatus.OK or problems:
            broken[url] = (status, problems)

    assert broken == {}
    assert len(urls) > 100


def test_cancel_answers_meet_the_shapes(client, bearer, shop):
    auth = bearer(READ, WRITE)
    cancellable = next(order for order in Order.objects.all() if order.is_cancellable)
    shipped = next(
        order for order in Order.objects.all() if order.latest_generic_type == "DELIVERED"
    )
    body = {"cancel_reason": "other", "staff_note": "called", "restock": True}
    answers = []

    for order in (cancellable, shipped):
        url = f"{API}/customers/{order.customer.external_id}/orders/{order.external_id}/cancel"
        answers.append(
            served(
                client,
                auth,
                "POST",
                url,
                data=json.dumps(body),
                content_type="application/json",
            )  # fmt: skip
        )

    assert answers == [(HTTPStatus.OK, []), (HTTPStatus.UNPROCESSABLE_ENTITY, [])]


def test_change_shipping_address_answers_meet_the_shapes(client, bearer, shop):
    auth = bearer(READ, WRITE)
    changeable = next(
        order
        for order in Order.objects.select_related("shipping_address")
        if order.is_change_shipping_address_allowed and order.shipping_address
    )
    shipped = next(
        order for order in Order.objects.all() if order.latest_generic_type == "DELIVERED"
    )
    answers = []

    for order in (changeable, shipped):
        url = (
            f"{API}/customers/{order.customer.external_id}/orders/{order.external_id}"
            "/change-shipping-address"
        )
        answers.append(
            served(
                client,
                auth,
                "POST",
                url,
                data=json.dumps({"first_name": "Jane", "address": "Another street 2"}),
                content_type="application/json",
            )  # fmt: skip
        )

    assert answers == [(HTTPStatus.OK, []), (HTTPStatus.UNPROCESSABLE_ENTITY, [])]


@pytest.mark.parametrize(
    ("scopes", "method", "url", "status"),
    [
        ((READ,), "GET", f"{API}/orders?limit=0", HTTPStatus.BAD_REQUEST),
        ((READ,), "GET", f"{API}/external-customers?page=", HTTPStatus.BAD_REQUEST),
        ((READ,), "GET", f"{API}/customers/bad%20id", HTTPStatus.BAD_REQUEST),
        ((), "GET", f"{API}/orders", HTTPStatus.UNAUTHORIZED),
        (
            (READ,),
            "POST",
            f"{API}/customers/customer123/orders/order123/cancel",
            HTTPStatus.FORBIDDEN,
        ),
        ((READ,), "GET", f"{API}/customers/nobody", HTTPStatus.NOT_FOUND),
        ((READ,), "GET", f"{API}/customers/customer123/orders/nothing", HTTPStatus.NOT_FOUND),
        ((READ,), "GET", f"{API}/no/such/path", HTTPStatus.NOT_FOUND),
        ((READ,), "PUT", f"{API}/orders", HTTPStatus.METHOD_NOT_ALLOWED),
    ],
)
def test_every_error_meets_the_error_shape(client, bearer, shop, scopes, method, url, status):
    auth = bearer(*scopes) if scopes else {}

    assert served(client, auth, method, url) == (status, [])


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"id": "o1", "order_number": "#1", "_links": {"self": {"href": "x"}}}, "is_cancellable"),
        (
            {"customer_id": "c1", "name": "A", "created_at": "2021-01-01T00:00:00.000Z"},
            "updated_at",
        ),
    ],
)
def test_the_contracts_catch_a_missing_required_field(body, missing):
    shape = "Order" if "order_number" in body else "Contact"

    found = [error.message for error in contracts.validator(shape).iter_errors(body)]

    assert any(missing in message for message in found)


def test_the_contracts_catch_another_type_and_a_bad_timestamp():
    contact = {
        "customer_id": "c1",
        "name": "A",
        "created_at": "yesterday",
        "updated_at": "2021-01-01T00:00:00.000Z",
        "emails": "a@example.com",
    }

    found = contracts.problems("GET", f"{API}/external-customers", 200, {
        "total": 1, "count": 1, "page": 1, "per_page": 50, "total_pages": 1,
        "_embedded": {"contacts": [contact]},
        "_links": {"self": {"href": "x"}, "first": {"href": "x"}, "last": {"href": "x"}},
    })  # fmt: skip

    assert len(found) == 2
    assert any("created_at" in problem for problem in found)
    assert any("emails" in problem for problem in found)
