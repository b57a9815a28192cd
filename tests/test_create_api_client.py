from __future__ import annotations

import base64
import json
from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from oauth2_provider.models import Application

from orders.models import ApiClientProfile

pytestmark = pytest.mark.usefixtures("own_address")

READ = "erc-ecommerce-customers:read"
WRITE = "erc-ecommerce-customers:write"


def create(run_command, *args: str) -> dict:
    status, out, err = run_command("create_api_client", *args)
    assert (status, err) == (0, "")
    assert out.count("\n") == 1
    return json.loads(out)


def test_it_prints_one_json_object_with_id_secret_and_scopes(run_command):
    printed = create(run_command, "crm", "--scopes", f"{READ} {WRITE}")

    application = Application.objects.get()
    assert printed == {
        "client_id": application.client_id,
        "client_secret": printed["client_secret"],
        "scopes": [READ, WRITE],
    }
    assert len(printed["client_secret"]) >= 40
    assert application.name == "crm"
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert ApiClientProfile.objects.get(application=application).allowed_scopes == f"{READ} {WRITE}"


def test_scopes_default_to_read(run_command):
    printed = create(run_command, "bot")

    assert printed["scopes"] == [READ]
    assert ApiClientProfile.objects.get().allowed_scopes == READ


def test_scopes_may_be_comma_separated(run_command):
    printed = create(run_command, "bot", "--scopes", f"{WRITE},{READ}")

    assert printed["scopes"] == [READ, WRITE]


def test_the_secret_is_stored_hashed(run_command):
    printed = create(run_command, "bot")

    stored = Application.objects.get().client_secret
    assert stored != printed["client_secret"]
    assert printed["client_secret"] not in stored
    assert check_password(printed["client_secret"], stored)


def test_the_printed_secret_gets_a_token_with_the_allowed_scopes(run_command, client):
    printed = create(run_command, "bot", "--scopes", f"{READ} {WRITE}")
    basic = base64.b64encode(f"{printed['client_id']}:{printed['client_secret']}".encode()).decode()

    response = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert sorted(body["scope"].split()) == [READ, WRITE]


def test_a_read_only_client_cannot_get_the_write_scope(run_command, client):
    printed = create(run_command, "bot")
    basic = base64.b64encode(f"{printed['client_id']}:{printed['client_secret']}".encode()).decode()

    response = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": WRITE},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_gets_no_token(run_command, client):
    printed = create(run_command, "bot")
    basic = base64.b64encode(f"{printed['client_id']}:wrong".encode()).decode()

    response = client.post(
        "/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("scopes", ["erc-ecommerce-customers:admin", f"{READ} admin", ""])
def test_unknown_or_missing_scopes_create_nothing(db, scopes):
    with pytest.raises(CommandError):
        call_command("create_api_client", "bot", "--scopes", scopes)

    assert not Application.objects.exists()
    assert not ApiClientProfile.objects.exists()


def test_the_error_names_the_unknown_scope(run_command):
    status, out, err = run_command("create_api_client", "bot", "--scopes", "admin")

    assert (status, out) == (1, "")
    assert "Unknown scope(s): admin" in err


def test_each_client_gets_its_own_id_and_secret(run_command):
    first = create(run_command, "bot")
    second = create(run_command, "bot")

    assert first["client_id"] != second["client_id"]
    assert first["client_secret"] != second["client_secret"]
