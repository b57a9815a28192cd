from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.urls import reverse
from oauth2_provider.models import Application

from orders.models import ApiClientProfile, Order
from tests.conftest import READ, WRITE

API = "/erc/ecommerce"
OURS = f"{API}/customers/customer123/orders/order123"
THEIRS = f"{API}/customers/rival/orders/rival-order"


@pytest.fixture
def shops(make_customer, make_order):
    """customer123/order123 of Casa Lisboa; rival/rival-order of Porto Home; an unbranded
    order of customer123."""
    ours = make_customer(brand="Casa Lisboa")
    rival = make_customer("rival", brand="Porto Home", email="rival@example.com")
    make_order("order123", customer=ours, brand="Casa Lisboa")
    make_order("unbranded", customer=ours)
    make_order("rival-order", customer=rival, brand="Porto Home")


@pytest.fixture
def limited(api_application, bearer) -> dict[str, str]:
    """A token of a client limited to Casa Lisboa."""
    ApiClientProfile.objects.filter(application=api_application).update(
        allowed_brands="Casa Lisboa"
    )
    return bearer(READ, WRITE)


@pytest.mark.parametrize(
    "path",
    [
        THEIRS,
        f"{THEIRS}/items",
        f"{THEIRS}/cancel-preview",
        f"{API}/customers/rival",
        f"{API}/customers/rival/orders",
        f"{API}/customers/rival/most-recent-order",
        f"{API}/customers/customer123/orders/unbranded",
        f"{THEIRS}?brand=Porto%20Home",
    ],
)
def test_a_brand_limited_client_cannot_read_another_brands_data(client, shops, limited, path):
    response = client.get(path, **limited)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Porto Home" not in response.content


@pytest.mark.parametrize(
    "path", [OURS, f"{OURS}/items", f"{API}/customers/customer123", f"{OURS}?brand=Casa%20Lisboa"]
)
def test_a_brand_limited_client_reads_its_own_brand(client, shops, limited, path):
    assert client.get(path, **limited).status_code == HTTPStatus.OK


def test_a_brand_limited_client_cannot_cancel_another_brands_order(client, shops, limited):
    response = client.post(
        f"{THEIRS}/cancel",
        data=json.dumps({"cancel_reason": "OTHER"}),
        content_type="application/json",
        **limited,
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Order.objects.get(external_id="rival-order").cancellation_status == ""


def order_ids(response) -> list[str]:
    return [order["id"] for order in response.json()["_embedded"]["orders"]]


def test_lists_leave_other_brands_out(client, shops, limited):
    account = client.get(f"{API}/orders", **limited)
    customer = client.get(f"{API}/customers/customer123/orders", **limited)
    other_brand = client.get(f"{API}/orders?brand=Porto%20Home", **limited)

    assert order_ids(account) == ["order123"]
    assert order_ids(customer) == ["order123"]
    assert order_ids(other_brand) == []


def test_external_customers_leaves_other_brands_out(client, shops, limited):
    everyone = client.get(f"{API}/external-customers", **limited).json()
    by_email = client.get(f"{API}/external-customers?email=rival@example.com", **limited).json()

    # The contact's id field is being renamed to customer_id: accept either.
    contacts = everyone["_embedded"]["contacts"]
    assert [c.get("customer_id", c.get("id")) for c in contacts] == ["customer123"]
    assert everyone["total"] == 1
    assert by_email["total"] == 0


def test_a_client_without_brands_sees_every_brand(client, shops, read_auth):
    assert client.get(THEIRS, **read_auth).status_code == HTTPStatus.OK
    assert len(order_ids(client.get(f"{API}/orders", **read_auth))) == 3


def test_limiting_a_client_applies_to_its_live_tokens_at_once(
    client, shops, api_application, read_auth
):
    assert client.get(THEIRS, **read_auth).status_code == HTTPStatus.OK

    ApiClientProfile.objects.filter(application=api_application).update(
        allowed_brands="Casa Lisboa"
    )

    assert client.get(THEIRS, **read_auth).status_code == HTTPStatus.NOT_FOUND


def test_create_api_client_limits_a_client_to_brands(run_command, client, shops, own_address):
    status, out, _ = run_command(
        "create_api_client", "shop bot", "--brands", "Casa Lisboa, Lisboa Outlet"
    )
    printed = json.loads(out)
    token = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": printed["client_id"],
            "client_secret": printed["client_secret"],
        },
    ).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    assert status == 0
    assert printed["brands"] == ["Casa Lisboa", "Lisboa Outlet"]
    assert client.get(THEIRS, **auth).status_code == HTTPStatus.NOT_FOUND
    assert client.get(OURS, **auth).status_code == HTTPStatus.OK


def test_create_api_client_refuses_an_empty_brand_list(run_command):
    status, _, err = run_command("create_api_client", "shop bot", "--brands", " , ")

    assert status != 0
    assert "--brands names no brand" in err
    assert not Application.objects.exists()


def test_the_admin_limits_a_client_to_brands(admin_client, client, shops, api_application, bearer):
    auth = bearer(READ)
    url = reverse("admin:oauth2_provider_application_change", args=[api_application.pk])

    page = admin_client.get(url)
    response = admin_client.post(
        url, {"name": "test client", "scopes": [READ, WRITE], "brands": "Casa Lisboa"}
    )

    assert 'name="brands"' in page.content.decode()
    assert response.status_code == HTTPStatus.FOUND
    assert api_application.profile.__class__.objects.get(application=api_application).brands == [
        "Casa Lisboa"
    ]
    assert client.get(THEIRS, **auth).status_code == HTTPStatus.NOT_FOUND


def test_a_brand_limited_client_sees_only_its_brands_shipments(
    client, shops, limited, make_shipment
):
    for order in Order.objects.all():
        make_shipment(order, external_id=f"{order.external_id}-p1")

    ours = client.get(f"{API}/customers/customer123/shipments", **limited)
    theirs = client.get(f"{API}/customers/rival/shipments", **limited)

    assert [s["id"] for s in ours.json()["_embedded"]["shipments"]] == ["order123-p1"]
    assert theirs.status_code == HTTPStatus.NOT_FOUND
    assert b"Porto Home" not in theirs.content
