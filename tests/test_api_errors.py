from __future__ import annotations

import logging
from http import HTTPStatus

import pytest
from django.db import OperationalError

from tests.conftest import READ, WRITE

URL = "/erc/ecommerce/customers/customer123/orders/order123"
CHALLENGE = 'Bearer realm="api"'


def assert_error_body(response, status, code, fields=()):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"code", "message", "description", "fields"}
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["description"], str)
    assert [field["name"] for field in body["fields"]] == list(fields)
    return body


def test_no_token_is_401_unauthorized(client, make_order):
    make_order()

    response = client.get(URL)

    assert_error_body(response, HTTPStatus.UNAUTHORIZED, "unauthorized")
    assert response["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 600],
)
def test_a_bad_token_is_401_invalid_token(client, make_order, header):
    make_order()

    response = client.get(URL, HTTP_AUTHORIZATION=header)

    assert_error_body(response, HTTPStatus.UNAUTHORIZED, "invalid_token")
    assert response["WWW-Authenticate"] == f'{CHALLENGE}, error="invalid_token"'


def test_an_expired_token_is_401_invalid_token(client, bearer, make_order):
    make_order()

    response = client.get(URL, **bearer(READ, expires_in=-1))

    assert_error_body(response, HTTPStatus.UNAUTHORIZED, "invalid_token")


def test_a_token_in_the_query_string_is_refused_even_when_valid(client, bearer, make_order):
    make_order()
    raw = bearer(READ)["HTTP_AUTHORIZATION"].split()[1]

    response = client.get(f"{URL}?access_token={raw}")

    assert_error_body(response, HTTPStatus.UNAUTHORIZED, "invalid_token")
    assert response["WWW-Authenticate"] == f'{CHALLENGE}, error="invalid_token"'


def test_a_token_in_the_query_string_is_refused_beside_a_header(client, read_auth, make_order):
    make_order()

    response = client.get(f"{URL}?access_token=abc", **read_auth)

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_missing_scope_is_403_with_the_required_scope(client, bearer, make_order):
    make_order()

    response = client.get(URL, **bearer(WRITE))

    assert_error_body(response, HTTPStatus.FORBIDDEN, "insufficient_scope")
    assert response["WWW-Authenticate"] == (
        f'{CHALLENGE}, error="insufficient_scope", scope="erc-ecommerce-customers:read"'
    )


def test_authentication_comes_before_validation_and_lookup(client):
    assert client.get(URL.replace("order123", "bad id")).status_code == HTTPStatus.UNAUTHORIZED
    assert client.get(URL).status_code == HTTPStatus.UNAUTHORIZED
    assert client.delete(URL).status_code == HTTPStatus.UNAUTHORIZED


def test_a_missing_order_is_404(client, read_auth, make_order):
    make_order()

    response = client.get(URL.replace("order123", "order999"), **read_auth)

    body = assert_error_body(response, HTTPStatus.NOT_FOUND, "not_found")
    assert "order999" in body["description"]


def test_another_customers_order_is_404_identical_to_a_missing_one(
    client, read_auth, make_order, make_customer
):
    make_order("order-of-jane", customer=make_customer("jane"))
    make_order()

    foreign = client.get(URL.replace("order123", "order-of-jane"), **read_auth)
    missing = client.get(URL.replace("order123", "order-of-nobody"), **read_auth)

    assert foreign.status_code == HTTPStatus.NOT_FOUND
    assert foreign.content.replace(b"order-of-jane", b"X") == missing.content.replace(
        b"order-of-nobody", b"X"
    )
    assert b"jane" not in foreign.content.replace(b"order-of-jane", b"")


def test_a_missing_customer_is_404(client, read_auth, make_order):
    make_order()

    response = client.get(URL.replace("customer123", "nobody"), **read_auth)

    assert_error_body(response, HTTPStatus.NOT_FOUND, "not_found")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/erc/ecommerce/customers/customer123/orders/bad%20id", "order_id"),
        ("/erc/ecommerce/customers/bad%2Aid/orders/order123", "customer_id"),
        ("/erc/ecommerce/customers/customer123/orders/" + "a" * 129, "order_id"),
        ("/erc/ecommerce/customers/customer123/orders/%C3%A9", "order_id"),
    ],
)
def test_a_malformed_id_is_400_naming_it(client, read_auth, path, field):
    response = client.get(path, **read_auth)

    assert_error_body(response, HTTPStatus.BAD_REQUEST, "invalid_parameter", [field])


def test_an_id_of_128_allowed_characters_is_valid(client, read_auth, make_order):
    order_id = ("Az09._~:@-" * 13)[:128]
    make_order(order_id, order_number="#LONG")

    response = client.get(URL.replace("order123", order_id), **read_auth)

    assert response.status_code == HTTPStatus.OK


def test_a_nul_byte_in_a_query_value_is_400(client, read_auth, make_order):
    make_order()

    response = client.get(URL + "?brand=ac%00me", **read_auth)

    assert_error_body(response, HTTPStatus.BAD_REQUEST, "invalid_parameter", ["brand"])


def test_a_query_value_over_256_characters_is_400(client, read_auth, make_order):
    make_order()

    response = client.get(URL + "?brand=" + "a" * 257, **read_auth)

    assert_error_body(response, HTTPStatus.BAD_REQUEST, "invalid_parameter", ["brand"])


def test_several_bad_parameters_are_all_named(client, read_auth):
    response = client.get(
        "/erc/ecommerce/customers/customer123/orders/bad%20id?brand=%00", **read_auth
    )

    assert_error_body(response, HTTPStatus.BAD_REQUEST, "invalid_parameter", ["brand", "order_id"])


def test_an_unserved_method_is_405_with_allow(client, read_auth, make_order):
    make_order()

    response = client.put(URL, data="{}", content_type="application/json", **read_auth)

    assert_error_body(response, HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_options_is_204_with_allow_and_no_auth(client):
    response = client.options(URL)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/erc/ecommerce/nothing/here",
        "/erc/ecommerce",
        "/erc/ecommerce/",
        "/erc/ecommerce/customers",
    ],
)
def test_an_unknown_path_is_a_json_404_without_authentication(client, path):
    response = client.get(path)

    assert_error_body(response, HTTPStatus.NOT_FOUND, "not_found")


def test_unknown_paths_stay_json_with_debug_on(client, settings):
    settings.DEBUG = True

    response = client.get("/erc/ecommerce/nothing/here")

    assert_error_body(response, HTTPStatus.NOT_FOUND, "not_found")


def test_a_crash_is_a_500_that_reveals_nothing(client, read_auth, make_order, monkeypatch, caplog):
    make_order()

    def explode(**kwargs):
        raise ZeroDivisionError("SELECT secret FROM orders_order WHERE host='db.internal'")

    monkeypatch.setattr("orders.selectors.order_document_query", explode)

    with caplog.at_level(logging.ERROR):
        response = client.get(URL, HTTP_X_REQUEST_ID="req-crash-1", **read_auth)

    body = assert_error_body(response, HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error")
    text = response.content.decode()
    for leak in ("ZeroDivision", "SELECT", "db.internal", "Traceback", "orders."):
        assert leak not in text
    assert body["fields"] == []
    assert response["X-Request-ID"] == "req-crash-1"
    assert any(record.request_id == "req-crash-1" and record.exc_info for record in caplog.records)


def test_a_crash_is_a_500_body_with_debug_on_too(
    client, read_auth, make_order, monkeypatch, settings
):
    settings.DEBUG = True
    make_order()
    monkeypatch.setattr("orders.selectors.order_document_query", lambda **kw: 1 / 0)

    response = client.get(URL, **read_auth)

    assert_error_body(response, HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error")
    assert b"Traceback" not in response.content


def test_an_unreachable_database_is_503_with_retry_after(
    client, read_auth, make_order, monkeypatch
):
    make_order()

    def down(**kwargs):
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed')

    monkeypatch.setattr("orders.selectors.order_document_query", down)

    response = client.get(URL, **read_auth)

    assert_error_body(response, HTTPStatus.SERVICE_UNAVAILABLE, "service_unavailable")
    assert int(response["Retry-After"]) > 0
    assert b"10.0.0.5" not in response.content


def test_error_bodies_are_deterministic(client):
    first = client.get("/erc/ecommerce/nope")
    second = client.get("/erc/ecommerce/nope")

    assert first.content == second.content
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_request_id_is_echoed(client):
    response = client.get("/erc/ecommerce/nope", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("request_id", ["", "has space", "x" * 200, "<script>"])
def test_an_unusable_request_id_is_replaced(client, request_id):
    response = client.get("/erc/ecommerce/nope", HTTP_X_REQUEST_ID=request_id)

    assert response["X-Request-ID"] != request_id
    assert len(response["X-Request-ID"]) == 32


def test_the_request_id_is_written_to_the_logs(client, caplog):
    with caplog.at_level(logging.INFO, logger="ercdash.access"):
        client.get("/erc/ecommerce/nope", HTTP_X_REQUEST_ID="trace-me-42")

    assert any(record.request_id == "trace-me-42" for record in caplog.records)


def test_any_accept_header_gets_json(client, read_auth, make_order):
    make_order()

    response = client.get(URL, HTTP_ACCEPT="application/xml", **read_auth)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
