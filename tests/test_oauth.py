from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import timedelta
from http import HTTPStatus
from unittest import mock

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, get_hasher
from django.utils import timezone
from django.utils.crypto import pbkdf2
from oauth2_provider.models import AccessToken, Application

from orders.api.hashers import ClientSecretHasher
from orders.models import ApiClientProfile
from tests.conftest import READ, SECRET, WRITE, basic, token_request

pytestmark = pytest.mark.usefixtures("own_address")

ORDER_URL = "/erc/ecommerce/customers/customer123/orders/order123"


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
    response = token_request(client, make_client(READ), data={"scope": f"{READ} {WRITE}"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"
    assert AccessToken.objects.count() == 0


def test_asking_for_an_unknown_scope_is_invalid_scope(client, make_client):
    response = token_request(client, make_client(), data={"scope": "admin"})

    assert response.json()["error"] == "invalid_scope"


def test_asking_for_no_scope_grants_the_allowed_set_not_everything(client, make_client):
    read_only = token_request(client, make_client(READ)).json()
    both = token_request(client, make_client(f"{READ} {WRITE}")).json()

    assert read_only["scope"] == READ
    assert set(both["scope"].split()) == {READ, WRITE}


def test_asking_for_a_subset_grants_it(client, make_client):
    body = token_request(client, make_client(f"{READ} {WRITE}"), data={"scope": READ}).json()

    assert body["scope"] == READ


def test_a_wrong_secret_is_refused(client, make_client):
    response = token_request(client, make_client(), "wrong")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


@pytest.fixture
def production_hashers(settings):
    # Undo conftest's fast_password_hashing: the hashers exactly as ercdash/settings.py has them.
    import ercdash.settings

    settings.PASSWORD_HASHERS = ercdash.settings.PASSWORD_HASHERS


@pytest.fixture
def client_hashed_by_django_default(db, production_hashers):
    """A client saved before CLIENT_SECRET_HASHER existed: its secret hashed as a password."""
    # The iteration count travels in the hash; a small one keeps the test quick.
    stored = PBKDF2PasswordHasher().encode(SECRET, "saltsaltsaltsalt", iterations=1000)
    application = Application(
        name="older integration",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=stored,
    )
    application.save()
    ApiClientProfile.objects.create(application=application, allowed_scopes=READ)
    return application


def test_client_secrets_are_hashed_at_rest(make_client, production_hashers):
    application = make_client()

    application.refresh_from_db()

    assert application.client_secret != SECRET
    assert application.client_secret.startswith(
        f"pbkdf2_sha256_client${ClientSecretHasher.iterations}$"
    )
    assert check_password(SECRET, application.client_secret)


def test_peoples_passwords_keep_djangos_default_hasher(production_hashers):
    assert get_hasher("default").algorithm == "pbkdf2_sha256"
    assert get_hasher("default").iterations == PBKDF2PasswordHasher.iterations


def test_a_secret_hashed_by_djangos_default_hasher_still_issues_tokens(
    client, client_hashed_by_django_default
):
    application = client_hashed_by_django_default

    right = token_request(client, application)
    wrong = token_request(client, application, "wrong")

    assert application.client_secret.startswith("pbkdf2_sha256$1000$")
    assert right.status_code == HTTPStatus.OK
    assert wrong.status_code == HTTPStatus.UNAUTHORIZED


def test_a_rotated_secret_moves_to_the_client_secret_hasher(
    client, client_hashed_by_django_default
):
    application = client_hashed_by_django_default

    application.client_secret = "a-new-client-secret"
    application.save()
    application.refresh_from_db()
    with_new = token_request(client, application, "a-new-client-secret")
    with_old = token_request(client, application)

    assert application.client_secret.startswith("pbkdf2_sha256_client$")
    assert with_new.status_code == HTTPStatus.OK
    assert with_old.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    ("secret", "status"), [(SECRET, HTTPStatus.OK), ("wrong", HTTPStatus.UNAUTHORIZED)]
)
def test_a_token_request_costs_one_cheap_hash_of_the_secret(
    client, make_client, production_hashers, secret, status
):
    application = make_client()
    iterations = []

    def counting_pbkdf2(password, salt, rounds, *args, **kwargs):
        iterations.append(rounds)
        return pbkdf2(password, salt, rounds, *args, **kwargs)

    with mock.patch("django.contrib.auth.hashers.pbkdf2", counting_pbkdf2):
        response = token_request(client, application, secret)

    assert response.status_code == status
    assert iterations == [ClientSecretHasher.iterations]
    # PBKDF2-SHA256 runs at about 0.5 us an iteration here: 10,000 are ~5 ms, far under the
    # 100 ms a token request may take; Django's default 1,000,000 are ~0.6 s.
    assert ClientSecretHasher.iterations <= 10_000


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


def test_introspecting_another_clients_token_reveals_nothing(client, make_client):
    owner, prober = make_client(), make_client()
    token = token_request(client, owner).json()["access_token"]

    response = client.post("/oauth/introspect", {"token": token}, **basic(prober))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"active": False}
    assert response["Cache-Control"] == "no-store"


def test_introspection_by_get_with_secrets_in_the_url_is_refused(client, make_client):
    owner, prober = make_client(), make_client()
    token = token_request(client, owner).json()["access_token"]
    query = {"client_id": prober.client_id, "client_secret": SECRET, "token": token}

    response = client.get("/oauth/introspect", query)

    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.METHOD_NOT_ALLOWED}
    assert token.encode() not in response.content
    assert b"scope" not in response.content


def test_introspection_answers_only_post(client, make_client):
    response = client.get("/oauth/introspect", **basic(make_client()))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_credentials_in_the_query_string_are_refused_on_every_oauth_endpoint(
    client, make_client, path
):
    application = make_client()
    query = f"client_id={application.client_id}&client_secret={SECRET}"

    response = client.post(f"{path}?{query}", {"grant_type": "client_credentials", "token": "x"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_a_token_in_the_query_string_is_refused_even_with_good_credentials(client, make_client):
    application = make_client()
    token = token_request(client, application).json()["access_token"]

    response = client.post(f"/oauth/introspect?token={token}", **basic(application))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


def test_introspection_needs_the_clients_own_credentials(client, make_client):
    application = make_client()
    token = token_request(client, application).json()["access_token"]

    anonymous = client.post("/oauth/introspect", {"token": token})
    wrong = client.post("/oauth/introspect", {"token": token}, **basic(application, "wrong"))

    assert anonymous.status_code == wrong.status_code == HTTPStatus.UNAUTHORIZED
    assert anonymous.json()["error"] == "invalid_client"


def test_introspection_of_an_expired_token_is_inactive(client, make_client):
    application = make_client()
    token = token_request(client, application).json()["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = client.post("/oauth/introspect", {"token": token}, **basic(application))

    assert response.json() == {"active": False}


@pytest.mark.parametrize(
    "path", ["/oauth/applications/", "/oauth/applications/register/", "/oauth/authorize/"]
)
def test_application_registration_views_are_not_mounted(admin_client, path):
    assert admin_client.get(path).status_code == HTTPStatus.NOT_FOUND
