from __future__ import annotations

import secrets
from datetime import timedelta
from http import HTTPStatus
from unittest import mock

import pytest
import redis
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from ercdash.settings import redis_cache
from orders.api import throttling as ratelimit
from orders.api.throttling import parse_rate
from tests.conftest import READ

API = "/erc/ecommerce/customers/customer123/orders/order123"
RATE_LIMITED_BODY = {
    "code": "rate_limited",
    "message": "Too many requests",
    "description": "Slow down and retry after the given delay.",
    "fields": [],
}


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def order(make_order):
    return make_order()


@pytest.fixture
def other_client_auth(db) -> dict[str, str]:
    application = Application.objects.create(
        name="other client",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    raw = secrets.token_urlsafe(30)
    AccessToken.objects.create(
        application=application,
        token=raw,
        expires=timezone.now() + timedelta(hours=1),
        scope=READ,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


class CountingCache:
    """Wraps the cache and records every call, to count round trips."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        attribute = getattr(self.wrapped, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return call


def test_a_client_over_its_limit_gets_429_with_the_error_body(client, read_auth, order, settings):
    settings.ERCDASH_RATE_LIMIT = "2/min"

    statuses = [client.get(API, **read_auth).status_code for _ in range(2)]
    response = client.get(API, **read_auth)

    assert statuses == [HTTPStatus.OK, HTTPStatus.OK]
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json() == RATE_LIMITED_BODY
    assert response["Cache-Control"] == "no-store"


def test_a_429_says_when_the_window_reopens(client, read_auth, order, settings):
    settings.ERCDASH_RATE_LIMIT = "1/min"
    client.get(API, **read_auth)

    response = client.get(API, **read_auth)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "30"


def test_the_limit_is_per_client_not_per_ip(client, read_auth, other_client_auth, order, settings):
    settings.ERCDASH_RATE_LIMIT = "1/min"
    client.get(API, **read_auth)

    assert client.get(API, **read_auth).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert client.get(API, **other_client_auth).status_code == HTTPStatus.OK


def test_requests_without_a_token_are_refused_before_counting(client, order, settings):
    settings.ERCDASH_RATE_LIMIT = "1/min"

    statuses = {client.get(API).status_code for _ in range(3)}

    assert statuses == {HTTPStatus.UNAUTHORIZED}


def test_off_disables_the_limit(client, read_auth, order, settings):
    settings.ERCDASH_RATE_LIMIT = "off"

    statuses = {client.get(API, **read_auth).status_code for _ in range(3)}

    assert statuses == {HTTPStatus.OK}


def test_a_request_within_the_window_costs_one_cache_round_trip(client, read_auth, order, settings):
    client.get(API, **read_auth)  # opens the window
    counting = CountingCache(cache)

    with mock.patch.object(ratelimit, "cache", counting):
        client.get(API, **read_auth)

    assert counting.calls == ["incr"]


def test_the_limit_adds_no_database_query(client, read_auth, order, settings):
    settings.ERCDASH_RATE_LIMIT = "off"
    client.get(API, **read_auth)

    with CaptureQueriesContext(connection) as unlimited:
        client.get(API, **read_auth)
    settings.ERCDASH_RATE_LIMIT = "600/min"
    with CaptureQueriesContext(connection) as limited:
        client.get(API, **read_auth)

    assert len(limited) == len(unlimited)


def test_the_limit_fails_open_when_the_cache_raises(client, read_auth, order, settings):
    settings.ERCDASH_RATE_LIMIT = "1/min"
    broken = mock.Mock(**{"incr.side_effect": ConnectionError, "add.side_effect": ConnectionError})

    with mock.patch.object(ratelimit, "cache", broken):
        statuses = {client.get(API, **read_auth).status_code for _ in range(3)}

    assert statuses == {HTTPStatus.OK}


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("600/min", (600, 60)),
        ("10/s", (10, 1)),
        ("50/10s", (50, 10)),
        ("1000/hour", (1000, 3600)),
        ("20000/day", (20000, 86400)),
        (" 5 / minute ", (5, 60)),
        ("off", None),
        ("", None),
    ],
)
def test_rates_are_read_as_requests_per_period(rate, parsed):
    assert parse_rate(rate) == parsed


def test_a_malformed_rate_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="ERCDASH_RATE_LIMIT"):
        parse_rate("lots")


def test_the_counter_is_shared_by_app_servers_through_redis(
    client, read_auth, api_application, order, settings
):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    settings.CACHES = {"default": redis_cache(settings.REDIS_URL)}
    settings.ERCDASH_RATE_LIMIT = "5/min"

    for _ in range(3):
        client.get(API, **read_auth)

    # What another app server would read: the counter lives in Redis, not in this process.
    raw = redis.Redis.from_url(settings.REDIS_URL)
    keys = raw.keys(f"ercdash:*:throttle:{api_application.client_id}:60:*")
    assert [int(raw.get(key)) for key in keys] == [3]
