"""The order read's own way (orders.api.order_read) answers exactly what OrderDetailApi does."""

from __future__ import annotations

import logging
from http import HTTPStatus
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection, connections
from django.test import Client
from oauth2_provider.models import AccessToken

from orders.api import auth
from orders.models import ApiClientProfile, Order
from tests.conftest import READ, WRITE

URL = "/erc/ecommerce/customers/customer123/orders/order123"
FAST_PATH = "orders.api.order_read.OrderReadMiddleware"
REQUEST_ID = "test-request-0001"


@pytest.fixture
def compare(settings, frozen_clock):
    """compare(path, **extra) -> the fast path's response, once the same request sent with
    the fast path left out of MIDDLEWARE (so through URL routing and DRF) has given the same
    status, headers (in order) and body."""
    fast = Client()
    fast.handler.load_middleware()
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != FAST_PATH]
    drf = Client()
    drf.handler.load_middleware()

    def send(client: Client, path: str, extra: dict):
        cache.clear()  # each way starts from the same rate-limit count
        return client.get(path, HTTP_X_REQUEST_ID=REQUEST_ID, **extra)

    def run(path: str, *, fast_path: bool = True, **extra):
        expected = send(drf, path, extra)
        response = send(fast, path, extra)
        if fast_path:
            assert expected.wsgi_request.resolver_match is not None  # routed, through DRF
            assert response.wsgi_request.resolver_match is None  # answered before routing
        assert (response.status_code, list(response.items()), response.content) == (
            expected.status_code,
            list(expected.items()),
            expected.content,
        )
        return response

    return run


@pytest.fixture
def order(make_order):
    return make_order()


def test_it_answers_the_order_as_drf_does(compare, order, read_auth):
    response = compare(URL, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == "order123"


def test_it_answers_over_https_as_drf_does(compare, order, read_auth):
    response = compare(URL, secure=True, **read_auth)

    assert response["Strict-Transport-Security"].startswith("max-age=")


@pytest.fixture
def tls_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True


def test_it_leaves_the_tls_redirect_to_the_usual_way(tls_redirect, compare, order, read_auth):
    response = compare(URL, fast_path=False, **read_auth)

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert compare(URL, secure=True, **read_auth).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "path",
    [
        URL + "/",
        URL + "?brand=",
        URL + "?other=1&brand=",
        "/erc/ecommerce/customers/customer456/orders/order123",
        "/erc/ecommerce/customers/customer123/orders/order999",
        URL + "?brand=Casa%20Lisboa",
        URL + "?brand=Casa%20Lisboa&brand=",
        URL + "%0A",
    ],
)
def test_it_answers_other_paths_and_queries_as_drf_does(compare, order, read_auth, path):
    compare(path, **read_auth)


def test_it_answers_a_branded_order_as_drf_does(compare, make_order, read_auth):
    make_order(brand="Casa Lisboa")

    assert compare(URL + "?brand=Casa%20Lisboa", **read_auth).status_code == HTTPStatus.OK
    assert compare(URL + "?brand=Porto", **read_auth).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/erc/ecommerce/customers/customer123/orders/bad%20id", HTTPStatus.BAD_REQUEST),
        ("/erc/ecommerce/customers/%C3%A9/orders/order123", HTTPStatus.BAD_REQUEST),
        (URL + "?q=%00", HTTPStatus.BAD_REQUEST),
        (URL + "?q=" + "x" * 257, HTTPStatus.BAD_REQUEST),
        (URL + "?access_token=abc", HTTPStatus.UNAUTHORIZED),
    ],
)
def test_it_refuses_bad_parameters_as_drf_does(compare, order, read_auth, path, status):
    assert compare(path, **read_auth).status_code == status


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Basic abc", "Bearer", "Bearer    ", "Bearer unknown", "Bearer " + "x" * 513],
)
def test_it_refuses_missing_and_bad_tokens_as_drf_does(compare, order, authorization):
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = compare(URL, **extra)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')


def test_it_refuses_an_expired_token_as_drf_does(compare, order, bearer):
    expired = bearer(READ, expires_in=-1)

    assert compare(URL, **expired).status_code == HTTPStatus.UNAUTHORIZED


def test_it_refuses_a_token_without_the_read_scope_as_drf_does(compare, order, bearer):
    response = compare(URL, **bearer(WRITE))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "insufficient_scope" in response["WWW-Authenticate"]


def test_it_refuses_a_revoked_token_at_once(client, order, read_auth):
    assert client.get(URL, **read_auth).status_code == HTTPStatus.OK

    AccessToken.objects.all().delete()

    assert client.get(URL, **read_auth).status_code == HTTPStatus.UNAUTHORIZED


def test_it_rate_limits_as_drf_does(compare, order, read_auth, settings):
    settings.ERCDASH_RATE_LIMIT = "0/min"  # over the limit from the first request

    response = compare(URL, **read_auth)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "30"


def test_it_answers_304_as_drf_does(compare, order, read_auth):
    etag = compare(URL, **read_auth)["ETag"]

    response = compare(URL, HTTP_IF_NONE_MATCH=etag, **read_auth)

    assert response.status_code == HTTPStatus.NOT_MODIFIED


@pytest.fixture
def brand_limited(make_customer, make_order, api_application):
    make_order(customer=make_customer(brand="Casa Lisboa"), brand="Casa Lisboa")
    make_order("unbranded")
    ApiClientProfile.objects.filter(application=api_application).update(
        allowed_brands="Casa Lisboa"
    )


def test_it_serves_a_brand_limited_client_as_drf_does(compare, brand_limited, read_auth):
    assert compare(URL, **read_auth).status_code == HTTPStatus.OK
    unbranded = URL.replace("order123", "unbranded")
    assert compare(unbranded, **read_auth).status_code == HTTPStatus.NOT_FOUND


def test_it_reads_a_brand_limited_clients_order_in_two_queries(
    client, brand_limited, read_auth, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the token and its brands, then the order with them
        response = client.get(URL, **read_auth)

    assert response.wsgi_request.resolver_match is None
    assert response.status_code == HTTPStatus.OK


def test_it_renders_an_order_without_a_stored_document_as_drf_does(compare, order, read_auth):
    Order.objects.filter(pk=order.pk).update(document="")

    assert compare(URL, **read_auth).status_code == HTTPStatus.OK


def test_it_answers_a_database_outage_as_drf_does(compare, order, read_auth):
    with mock.patch.object(auth, "token_lookup", side_effect=OperationalError("gone")):
        response = compare(URL, **read_auth)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE


def test_it_logs_the_access_line_as_drf_does(compare, order, read_auth, caplog):
    with caplog.at_level(logging.INFO, logger="ercdash.access"):
        compare(URL, **read_auth)

    drf_line, fast_line = (
        (r.getMessage(), r.client_id, r.method, r.path, r.status) for r in caplog.records
    )
    assert fast_line == drf_line
    assert fast_line[1] is not None  # the client is named


def test_it_reads_the_order_with_the_token_in_one_query(
    client, order, read_auth, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = client.get(URL, **read_auth)

    assert response.wsgi_request.resolver_match is None
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("extra", [{"REQUEST_METHOD": "HEAD"}, {"HTTP_COOKIE": "csrftoken=x"}])
def test_other_requests_take_the_usual_way(client, order, read_auth, extra):
    response = client.generic(extra.pop("REQUEST_METHOD", "GET"), URL, **read_auth, **extra)

    assert response.status_code == HTTPStatus.OK
    assert response.wsgi_request.resolver_match is not None


def test_a_host_not_allowed_is_refused_as_usual(compare, order, read_auth):
    response = compare(URL, fast_path=False, HTTP_HOST="evil.example", **read_auth)

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_options_and_other_methods_are_answered_by_drf(client, order, read_auth):
    assert client.options(URL).status_code == HTTPStatus.NO_CONTENT
    assert client.post(URL, **read_auth).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.fixture
def reused_connection(transactional_db):
    """The connection as a request after the first finds it: open, health check pending
    (outside a test transaction, where only a request's first query is checked)."""
    connection.ensure_connection()
    connection.health_check_enabled = True
    connection.health_check_done = False
    yield
    connection.health_check_done = True


def fail_first(failures: list):
    def wrapper(execute, sql, params, many, context):
        if not failures:
            failures.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


def test_a_reused_connection_costs_no_health_check_round_trip(
    client, order, read_auth, reused_connection, django_assert_num_queries
):
    with (
        mock.patch.object(connection, "is_usable") as is_usable,
        django_assert_num_queries(1),
    ):
        response = client.get(URL, **read_auth)

    assert response.status_code == HTTPStatus.OK
    is_usable.assert_not_called()


def test_a_dead_connection_is_replaced_and_the_read_answered(
    client, order, read_auth, reused_connection
):
    failures: list = []
    with (
        mock.patch.object(connection, "is_usable", return_value=False),
        mock.patch.object(connection, "close", wraps=connection.close) as close,
        connection.execute_wrapper(fail_first(failures)),
    ):
        response = client.get(URL, **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert len(failures) == 1
    close.assert_called_once()


def test_a_read_failing_on_a_working_connection_still_fails(
    client, order, read_auth, reused_connection
):
    failures: list = []
    with (
        mock.patch.object(connection, "is_usable", return_value=True),
        connection.execute_wrapper(fail_first(failures)),
    ):
        response = client.get(URL, **read_auth)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert len(failures) == 1


def test_a_connection_the_database_dropped_is_replaced_and_the_read_answered(
    client, order, read_auth, reused_connection
):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database server to drop the connection")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    connection.health_check_done = False  # as a new request finds it
    other = connections["default"].__class__({**connection.settings_dict}, alias="other")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()

    response = client.get(URL, **read_auth)

    assert response.status_code == HTTPStatus.OK
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
