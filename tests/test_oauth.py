from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from http import HTTPStatus

import pytest
from oauth2_provider.models import AccessToken, Application

from orders.models import ApiClientProfile
from tests.conftest import READ, WRITE

SECRET = "a-client-secret-for-tests"
ORDER_URL = "/erc/ecommerce/customers/customer123/orders/order123"


@pytest.fixture
def make_client(db):
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
    pair = f"{application.client_id}:{secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


def token_request(client, application, **data):
    return client.post(
        "/oauth/token", {"grant_type": "client_credentials", **data}, **basic(application)
    )


def test_client_credentials_with_basic_auth_issue_a_bearer_token(client, make_client):
    response = token_request(client, make_client())

    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == READ


def test_client_credentials_in_form_fields_work_too(client, make_client):
    application = make_client()

    response = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": SECRET,
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert "refresh_token" not in response.json()


def test_the_issued_token_reads_an_order(client, make_client, make_order):
    make_order()
    token = token_request(client, make_client()).json()["access_token"]

    response = client.get(ORDER_URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == HTTPStatus.OK


def test_asking_for_more_than_allowed_is_invalid_scope(client, make_client):
    response = token_request(client, make_client(READ), scope=f"{READ} {WRITE}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"
    assert AccessToken.objects.count() == 0


def test_asking_for_an_unknown_scope_is_invalid_scope(client, make_client):
    response = token_request(client, make_client(), scope="admin")

    assert response.json()["error"] == "invalid_scope"


def test_asking_for_no_scope_grants_the_allowed_set_not_everything(client, make_client):
    read_only = token_request(client, make_client(READ)).json()
    both = token_request(client, make_client(f"{READ} {WRITE}")).json()

    assert read_only["scope"] == READ
    assert set(both["scope"].split()) == {READ, WRITE}


def test_asking_for_a_subset_grants_it(client, make_client):
    body = token_request(client, make_client(f"{READ} {WRITE}"), scope=READ).json()

    assert body["scope"] == READ


def test_a_wrong_secret_is_refused(client, make_client):
    response = token_request_with_secret(client, make_client(), "wrong")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def token_request_with_secret(client, application, secret):
    return client.post(
        "/oauth/token", {"grant_type": "client_credentials"}, **basic(application, secret)
    )


def test_client_secrets_are_hashed_at_rest(make_client, settings):
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    application = make_client()

    application.refresh_from_db()

    assert application.client_secret != SECRET
    assert application.client_secret.startswith("pbkdf2_sha256$")


def test_tokens_are_stored_only_as_checksums(client, make_client):
    token = token_request(client, make_client()).json()["access_token"]

    stored = AccessToken.objects.get()

    assert stored.token == ""
    assert stored.token_checksum == hashlib.sha256(token.encode()).hexdigest()


def test_token_lifetime_comes_from_ercdash_token_ttl():
    env = {**os.environ, "ERCDASH_TOKEN_TTL": "60", "DJANGO_SETTINGS_MODULE": "ercdash.settings"}
    code = (
        "from django.conf import settings; "
        "print(settings.OAUTH2_PROVIDER['ACCESS_TOKEN_EXPIRE_SECONDS'])"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "60"


def test_a_revoked_token_is_refused_at_once(client, make_client, make_order):
    make_order()
    application = make_client()
    token = token_request(client, application).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get(ORDER_URL, **auth).status_code == HTTPStatus.OK

    revoke = client.post("/oauth/revoke", {"token": token}, **basic(application))
    response = client.get(ORDER_URL, **auth)

    assert revoke.status_code == HTTPStatus.OK
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_introspection_describes_an_active_token(client, make_client):
    application = make_client()
    token = token_request(client, application).json()["access_token"]

    body = client.post("/oauth/introspect", {"token": token}, **basic(application)).json()

    assert body["active"] is True
    assert body["scope"] == READ
    assert body["client_id"] == application.client_id


def test_introspection_of_an_unknown_token_is_inactive(client, make_client):
    response = client.post("/oauth/introspect", {"token": "nope"}, **basic(make_client()))

    assert response.json() == {"active": False}


@pytest.mark.parametrize(
    "path", ["/oauth/applications/", "/oauth/applications/register/", "/oauth/authorize/"]
)
def test_application_registration_views_are_not_mounted(admin_client, path):
    assert admin_client.get(path).status_code == HTTPStatus.NOT_FOUND
