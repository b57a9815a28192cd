"""Seed a fresh database for the load test and print a read token (bench/load.sh runs it).

The seed's example order (customer123 / order123) plus a few more customers with orders, and
one API client. seed_demo does this for the demo; this stays independent of it so the bench
only needs the ORM.
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ercdash.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import AccessToken, Application  # noqa: E402

from orders import services  # noqa: E402
from orders.models import (  # noqa: E402
    Address,
    ApiClientProfile,
    Customer,
    Order,
    OrderItem,
    StatusEvent,
)


def make_order(customer: Customer, order_id: str, number: str, day: int) -> None:
    address = Address.objects.create(
        customer=customer,
        external_id=f"address-{order_id}",
        first_name=customer.first_name,
        last_name=customer.last_name,
        phone_number=customer.phone_number,
        address="Rua Augusta 1",
        zip_code="1100-048",
        city="Lisbon",
        region_code="PT-11",
        country_code="PT",
        is_default=True,
    )
    order = Order.objects.create(
        external_id=order_id,
        customer=customer,
        order_number=number,
        purchase_datetime=datetime(2021, 9, day, 12, 16, 50, 78000, tzinfo=UTC),
        delivery_type="SHIPPING",
        shipping_address=address,
        billing_address=address,
        currency="EUR",
        original_total_amount=Decimal("10.50"),
        discounts_amount=Decimal("0"),
        shipping_amount=Decimal("0"),
        taxes_amount=Decimal("0"),
        final_total_amount=Decimal("10.50"),
        card_brand="Visa",
        card_last4="4567",
    )
    for position in range(3):
        OrderItem.objects.create(
            order=order,
            external_id=f"item{position}",
            position=position,
            name=f"Item {position}",
            sku=f"SKU-{position}",
            quantity=1,
            price=Decimal("3.50"),
            currency="EUR",
            image_url=f"https://shop.example.com/item{position}.jpg",
        )
    StatusEvent.objects.create(
        order=order,
        generic_type="CONFIRMED",
        detailed_type="CONFIRMED",
        status_date_time=datetime(2021, 9, day, 12, 20, tzinfo=UTC),
    )
    StatusEvent.objects.create(
        order=order,
        generic_type="ON_ITS_WAY",
        detailed_type="IN_TRANSIT",
        status_date_time=datetime(2021, 10, day, 12, 16, 50, 78000, tzinfo=UTC),
    )
    services.order_refresh(order=order)


@transaction.atomic
def seed(customers: int = 50) -> str:
    """Customers with four orders each (the first is customer123 with order123); a token."""
    for index in range(customers):
        external_id = "customer123" if index == 0 else f"customer{1000 + index}"
        customer = Customer.objects.create(
            external_id=external_id,
            first_name="John",
            last_name=f"Doe{index}",
            email=f"{external_id}@example.com",
            phone_number=f"+3519100{index:05d}",
        )
        for number in range(4):
            order_id = "order123" if index == 0 and number == 0 else f"order-{index}-{number}"
            order_number = "#Y34DHR" if order_id == "order123" else f"#B{index:03d}{number}"
            make_order(customer, order_id, order_number, day=1 + number)
    application = Application.objects.create(
        name="bench",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    ApiClientProfile.objects.create(application=application, allowed_scopes=settings.SCOPE_READ)
    raw = secrets.token_urlsafe(30)
    AccessToken.objects.create(
        application=application,
        token=raw,
        expires=timezone.now() + timedelta(days=1),
        scope=settings.SCOPE_READ,
    )
    return raw


if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    print(seed())
