from __future__ import annotations

import base64
import logging
from http import HTTPStatus
from unittest import mock

import pytest

from orders.api import throttling as ratelimit
from tests.conftest import SECRET, basic, fresh_address, token_request

TOKEN = "/oauth/token"
CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}
RATE_LIMITED_BODY = {
    "error": "rate_limited",
    "error_description": "Too many requests for this client; retry after the delay given in "
    "Retry-After.",
}

pytestmark = pytest.mark.usefixtures("own_address", "frozen_clock")


@pytest.fixture(autouse=True)
def two_a_minute(settings):
    settings.ERCDASH_TOKEN_RATE_LIMIT = "2/min"
    settings.ERCDASH_TOKEN_FAILURE_LIMIT = "2/min"


def test_a_client_over_the_limit_gets_429_in_rfc_6749_shape(client, make_client):
    application = make_client()

    statuses = [token_request(client, application).status_code for _ in range(2)]
    response = token_request(client, application)

    assert statuses == [HTTPStatus.OK, HTTPStatus.OK]
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json() == RATE_LIMITED_BODY
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"


def test_the_secret_is_not_checked_once_the_client_is_over_its_own_limit(client, make_client):
    application = make_client()
    for _ in range(2):
        token_request(client, application)
    with mock.patch("oauth2_provider.oauth2_validators.check_password") as check_password:
        response = token_request(client, application, "guess")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert check_password.call_count == 0


def test_wrong_secrets_by_whoever_knows_a_client_id_never_lock_out_the_right_secret(
    client, make_client
):
    application = make_client()
    attacker, integration = fresh_address(), fresh_address()
    attempts = [
        token_request(client, application, "guess", REMOTE_ADDR=attacker).status_code
        for _ in range(32)
    ]

    from_elsewhere = token_request(client, application, REMOTE_ADDR=integration)
    from_the_attackers_address = token_request(client, application, REMOTE_ADDR=attacker)

    assert attempts[:2] == [HTTPStatus.UNAUTHORIZED] * 2
    assert set(attempts[2:]) == {HTTPStatus.TOO_MANY_REQUESTS}
    assert from_elsewhere.status_code == HTTPStatus.OK
    assert from_the_attackers_address.status_code == HTTPStatus.OK


def test_failures_over_the_limit_are_answered_429_per_client_id(client, make_client):
    application = make_client()

    statuses = [
        token_request(client, application, "guess", REMOTE_ADDR=fresh_address()).status_code
        for _ in range(3)
    ]

    assert statuses == [HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED, 429]


def test_failures_over_the_limit_are_answered_429_per_address_whatever_client_they_name(
    client, make_client
):
    address = fresh_address()

    statuses = [
        token_request(client, make_client(), "guess", REMOTE_ADDR=address).status_code
        for _ in range(3)
    ]

    assert statuses == [HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED, 429]


def test_successes_are_not_failures(client, make_client, settings):
    settings.ERCDASH_TOKEN_RATE_LIMIT = "off"
    application = make_client()
    for _ in range(3):
        token_request(client, application)

    response = token_request(client, application, "guess")

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_another_clients_successes_naming_a_client_do_not_spend_its_allowance(client, make_client):
    victim, other = make_client(), make_client()
    # DOT authenticates the Basic client; the form names the victim as well.
    for _ in range(3):
        client.post(TOKEN, {**CLIENT_CREDENTIALS, "client_id": victim.client_id}, **basic(other))

    assert token_request(client, victim).status_code == HTTPStatus.OK


def test_each_client_has_its_own_window(client, make_client):
    busy, other = make_client(), make_client()
    for _ in range(2):
        token_request(client, busy)

    assert token_request(client, busy).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert token_request(client, other).status_code == HTTPStatus.OK


def test_form_field_credentials_share_the_clients_window(client, make_client):
    application = make_client()
    for _ in range(2):
        token_request(client, application)

    response = client.post(
        TOKEN,
        {**CLIENT_CREDENTIALS, "client_id": application.client_id, "client_secret": SECRET},
    )

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_naming_a_made_up_client_as_well_opens_no_fresh_window(client, make_client):
    application = make_client()
    for _ in range(2):
        token_request(client, application)
    made_up = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"made-up:x").decode()}

    # DOT tries the made-up Basic client, then checks the form's secret for the real one.
    response = client.post(
        TOKEN,
        {**CLIENT_CREDENTIALS, "client_id": application.client_id, "client_secret": SECRET},
        **made_up,
    )

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_trailing_slash_shares_the_window(client, make_client):
    application = make_client()
    for _ in range(2):
        token_request(client, application)

    response = client.post(TOKEN + "/", CLIENT_CREDENTIALS, **basic(application))

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_request_naming_no_client_is_limited_by_its_address(client, db):
    address = fresh_address()
    statuses = [
        client.post(TOKEN, CLIENT_CREDENTIALS, REMOTE_ADDR=address).status_code for _ in range(3)
    ]
    elsewhere = client.post(TOKEN, CLIENT_CREDENTIALS, REMOTE_ADDR=fresh_address())

    assert statuses == [
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.TOO_MANY_REQUESTS,
    ]
    assert elsewhere.status_code == HTTPStatus.UNAUTHORIZED


def test_undecodable_basic_credentials_are_limited_by_address(client, db):
    address = fresh_address()
    garbage = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"\xff\xfe").decode()}

    statuses = [
        client.post(TOKEN, CLIENT_CREDENTIALS, REMOTE_ADDR=address, **garbage).status_code
        for _ in range(3)
    ]

    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_revoke_and_introspect_are_limited_each_in_its_own_window(client, make_client):
    application = make_client()
    token = token_request(client, application).json()["access_token"]
    token_request(client, application)

    introspections = [
        client.post("/oauth/introspect", {"token": token}, **basic(application)).status_code
        for _ in range(3)
    ]
    revocations = [
        client.post("/oauth/revoke", {"token": token}, **basic(application)).status_code
        for _ in range(3)
    ]

    assert token_request(client, application).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert introspections == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]
    assert revocations == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]


def test_off_disables_the_token_limit(client, make_client, settings):
    settings.ERCDASH_TOKEN_RATE_LIMIT = "off"
    application = make_client()

    statuses = {token_request(client, application).status_code for _ in range(4)}

    assert statuses == {HTTPStatus.OK}


def test_tokens_are_issued_when_the_cache_is_down(client, make_client, caplog):
    application = make_client()
    broken = mock.Mock(
        **{
            "get.side_effect": ConnectionError,
            "incr.side_effect": ConnectionError,
            "add.side_effect": ConnectionError,
        }
    )

    with (
        mock.patch.object(ratelimit, "cache", broken),
        caplog.at_level(logging.WARNING, logger="ercdash.ratelimit"),
    ):
        statuses = {token_request(client, application).status_code for _ in range(3)}

    assert statuses == {HTTPStatus.OK}
    assert "Rate limiting skipped: the cache is unavailable" in caplog.messages
