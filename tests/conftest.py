from __future__ import annotations

import base64
import io
import json
import logging
import os
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from ercdash.logs import JsonFormatter, RedactFilter, RequestIdFilter
from orders import services
from orders.models import (
    Address,
    ApiClientProfile,
    Customer,
    Order,
    OrderItem,
    Shipment,
    ShipmentEvent,
    ShipmentItem,
    StatusEvent,
)

READ = settings.SCOPE_READ
WRITE = settings.SCOPE_WRITE
SECRET = "a-client-secret-for-tests"
FROZEN_NOW = 1_800_000_030.0  # 30 s into a rate-limit window


def event(generic: str, detailed: str = "", day: int = 14, **fields) -> dict:
    """A status event of make_order(events=[...]) on 2021-09-<day> 12:00 UTC."""
    return {
        "generic_type": generic,
        "detailed_type": detailed,
        "status_date_time": datetime(2021, 9, day, 12, 0, tzinfo=UTC),
        **fields,
    }


def content(response) -> str:
    return response.content.decode()


def token_request(client, application, secret: str = SECRET, *, data=None, **extra):
    """POST /oauth/token for client credentials, the client authenticated by HTTP Basic;
    `extra` goes to the test client (REMOTE_ADDR=…)."""
    return client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", **(data or {})},
        **basic(application, secret),
        **extra,
    )


@pytest.fixture(autouse=True)
def role_groups(request):
    """The Agents and Supervisors groups, as migration 0002 made them, before each database test.

    A transactional test flushes every table, those rows included; the tests after it in the
    same process would otherwise find no groups.
    """
    marker = request.node.get_closest_marker("django_db")
    fixtures = set(request.fixturenames)
    if marker is None and not {"db", "transactional_db"} & fixtures:
        return
    transactional = "transactional_db" in fixtures or (marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    for name in services.ROLES:
        services.role_group(name=name)


@pytest.fixture
def frozen_clock():
    """Rate-limit windows see FROZEN_NOW, so counts never straddle two windows."""
    from unittest import mock

    from orders.api import throttling

    with mock.patch.object(throttling, "clock", return_value=FROZEN_NOW):
        yield


@pytest.fixture
def api_application(db) -> Application:
    application = Application.objects.create(
        name="test client",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    ApiClientProfile.objects.create(application=application, allowed_scopes=f"{READ} {WRITE}")
    return application


@pytest.fixture
def make_client(db):
    """make_client(allowed) -> an API client whose secret is SECRET, for /oauth/token."""

    def make(allowed: str = READ) -> Application:
        application = Application(
            name="integration",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=SECRET,
        )
        application.save()
        ApiClientProfile.objects.create(application=application, allowed_scopes=allowed)
        return application

    return make


def basic(application: Application, secret: str = SECRET) -> dict[str, str]:
    """HTTP Basic client credentials for the test client."""
    pair = f"{application.client_id}:{secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


def fresh_address() -> str:
    # Counters outlive a test in Redis (and in the process's memory cache): a fresh address
    # keeps each test's window its own.
    return "10.{}.{}.{}".format(*(secrets.randbelow(256) for _ in range(3)))


@pytest.fixture
def own_address(client) -> str:
    """The test client's requests come from an address no other test uses.

    The OAuth endpoints count failed authentications per address: tests sending wrong secrets
    from the default 127.0.0.1 would otherwise fill one counter together.
    """
    address = fresh_address()
    client.defaults["REMOTE_ADDR"] = address
    return address


@pytest.fixture
def bearer(api_application):
    """bearer(*scopes) -> {"HTTP_AUTHORIZATION": "Bearer ..."} for the test client."""

    def make(*scopes: str, expires_in: int = 3600) -> dict[str, str]:
        raw = secrets.token_urlsafe(30)
        AccessToken.objects.create(
            application=api_application,
            token=raw,
            expires=timezone.now() + timedelta(seconds=expires_in),
            scope=" ".join(scopes),
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def read_auth(bearer) -> dict[str, str]:
    return bearer(READ)


@pytest.fixture
def make_customer(db):
    def make(external_id: str = "customer123", **fields) -> Customer:
        defaults = {
            "first_name": "John",
            "last_name": "Doe",
            "email": f"{external_id}@example.com",
            "phone_number": "+351910000000",
        }
        return Customer.objects.create(external_id=external_id, **{**defaults, **fields})

    return make


@pytest.fixture
def make_order(db, make_customer):
    """make_order(...) -> a saved order shaped like the seed example, derived values fresh."""

    def make(
        order_id: str = "order123",
        *,
        customer: Customer | None = None,
        items: list[dict] | None = None,
        events: list[dict] | None = None,
        **fields,
    ) -> Order:
        customer = customer or (
            Customer.objects.filter(external_id="customer123").first() or make_customer()
        )
        address = Address.objects.create(
            customer=customer,
            external_id=f"address-{order_id}"[:128],
            first_name="John",
            last_name="Doe",
            phone_number="+351910000000",
            address="Rua Augusta 1",
            zip_code="1100-048",
            city="Lisbon",
            region_code="PT-11",
            country_code="PT",
            is_default=True,
        )
        defaults = {
            "order_number": f"#{order_id.upper()}",
            "purchase_datetime": datetime(2021, 9, 14, 12, 16, 50, 78000, tzinfo=UTC),
            "delivery_type": "SHIPPING",
            "shipping_address": address,
            "billing_address": address,
            "currency": "EUR",
            "original_total_amount": Decimal("10.50"),
            "discounts_amount": Decimal("0"),
            "shipping_amount": Decimal("0"),
            "taxes_amount": Decimal("0"),
            "final_total_amount": Decimal("10.50"),
            "card_brand": "Visa",
            "card_last4": "4567",
            "is_refunded": False,
        }
        order = Order.objects.create(
            external_id=order_id, customer=customer, **{**defaults, **fields}
        )
        for position, item in enumerate(items or []):
            OrderItem.objects.create(
                order=order,
                position=position,
                currency=order.currency or "EUR",
                **{"external_id": f"item{position}", **item},
            )
        for event in events or []:
            StatusEvent.objects.create(order=order, **event)
        return services.order_refresh(order=order)

    return make


@pytest.fixture
def make_shipment(db):
    """make_shipment(order, lines=[(item, qty)], events=[{...}], **fields) -> a parcel of the
    order (a UPS one by default), derived values and the stored document refreshed."""

    def make(
        order: Order,
        *,
        lines: list[tuple[OrderItem, int]] | None = None,
        events: list[dict] | None = None,
        **fields,
    ) -> Shipment:
        defaults = {
            "external_id": f"{order.external_id}-p{order.shipments.count() + 1}",
            "position": order.shipments.count(),
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "service_level": "UPS Standard",
            "shipping_date": datetime(2021, 10, 23, 12, 0, tzinfo=UTC),
        }
        shipment = Shipment.objects.create(order=order, **{**defaults, **fields})
        for item, quantity in lines or []:
            ShipmentItem.objects.create(shipment=shipment, item=item, quantity=quantity)
        for event in events or []:
            ShipmentEvent.objects.create(shipment=shipment, **event)
        services.order_refresh(order=order)
        shipment.refresh_from_db()
        return shipment

    return make


@pytest.fixture
def agent_user(db) -> User:
    user = User.objects.create_user("agent", password="agent-password-1")
    user.groups.add(services.role_group(name="Agents"))
    return user


@pytest.fixture
def agent_client(client, agent_user):
    client.force_login(agent_user)
    return client


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    """A clean environment for a subprocess: production defaults, only what a deploy supplies."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SECRET_KEY": "subprocess-secret-key-" + "k" * 40,
        "ALLOWED_HOSTS": "ercdash.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ercdash.sqlite3'}",
    }


@pytest.fixture
def json_log():
    """Capture log records as the production JSON formatter writes them; call it for the lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        request_logger.removeHandler(handler)


@pytest.fixture
def run_command(db):
    """run_command(name, *args, stdin=b"") -> (exit status, stdout, stderr) of a command."""
    import io
    import sys

    from django.core.management import call_command
    from django.core.management.base import CommandError

    def run(name: str, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        saved_stdin = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        try:
            call_command(name, *args, stdout=out, stderr=err)
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        except CommandError as exc:
            err.write(f"CommandError: {exc}\n")
            status = exc.returncode
        finally:
            sys.stdin = saved_stdin
        return status, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def staff_client(client, db):
    """staff_client(*"app.codename") -> a test client logged in as staff with just those perms."""

    def make(*perms: str, username: str = "staff") -> Client:
        from django.contrib.auth.models import Permission

        user = User.objects.create_user(username, password="staff-password-1", is_staff=True)
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def database_sessions(settings):
    # Query counts are pinned against database sessions (ercdash.sessions, the engine without
    # Redis: Django's, loaded by a hand-written query); with REDIS_URL set (CI's second
    # pass) production would read sessions from the cache first. test_faults and
    # test_production_settings cover the cached_db engine explicitly.
    settings.SESSION_ENGINE = "ercdash.sessions"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness (~0.6 s per user or login) would dominate the suite; tests
    # that check the production hashers put them back explicitly. Client secrets keep their
    # real hasher: it is cheap, and CLIENT_SECRET_HASHER names it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "orders.api.hashers.ClientSecretHasher",
    ]


@pytest.fixture
def supervisor_user(db) -> User:
    user = User.objects.create_user("supervisor", password="supervisor-password-1")
    user.groups.add(services.role_group(name="Supervisors"))
    return user


@pytest.fixture
def supervisor_client(client, supervisor_user):
    client.force_login(supervisor_user)
    return client
