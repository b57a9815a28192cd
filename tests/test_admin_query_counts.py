from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken

from orders.models import AccessAudit, Address, Customer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def make_customers(count: int) -> None:
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"c{n}", email=f"c{n}@example.com") for n in range(count)
    )
    Address.objects.bulk_create(Address(customer=c, address="Rua 1") for c in customers)


def make_audit_rows(count: int) -> None:
    AccessAudit.objects.bulk_create(
        AccessAudit(actor=f"agent:a{n}", channel="console", action="view_order")
        for n in range(count)
    )


def make_tokens(count: int, application) -> None:
    AccessToken.objects.bulk_create(
        AccessToken(
            application=application,
            token_checksum=secrets.token_hex(32),
            expires=timezone.now() + timedelta(hours=1),
            scope="erc-ecommerce-customers:read",
        )
        for _ in range(count)
    )


@pytest.mark.parametrize("count", [3, 120])
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("admin:orders_customer_changelist", 5),
        ("admin:orders_address_changelist", 5),
        ("admin:orders_accessaudit_changelist", 6),
        ("admin:oauth2_provider_accesstoken_changelist", 8),
        ("admin:auth_user_changelist", 6),
    ],
)
def test_admin_lists_cost_a_constant_number_of_queries(
    admin_client, api_application, django_assert_num_queries, url, queries, count
):
    make_customers(count)
    make_audit_rows(count)
    make_tokens(count, api_application)

    with django_assert_num_queries(queries):
        response = admin_client.get(reverse(url))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("count", [2, 30])
def test_order_change_page_costs_a_constant_number_of_queries(
    admin_client, make_order, django_assert_num_queries, count
):
    order = make_order(
        items=[{"name": f"item {n}", "price": Decimal(n)} for n in range(count)],
        events=[
            {"generic_type": "CONFIRMED", "status_date_time": datetime(2021, 9, n + 1, tzinfo=UTC)}
            for n in range(min(count, 28))
        ],
    )

    ContentType.objects.clear_cache()

    # Session, user, order, items, events, shipments, content type (history link), customer,
    # and the customer's addresses for each of the two address pickers.
    with django_assert_num_queries(10):
        response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert response.status_code == HTTPStatus.OK
