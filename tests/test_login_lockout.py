from __future__ import annotations

import logging
from datetime import timedelta
from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client, RequestFactory

from ercdash.proxies import client_ip

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ADMIN_LOGIN = "/admin/login/"
AGENT_LOGIN = "/accounts/login/"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff_user(db) -> User:
    return User.objects.create_user("boss", password=PASSWORD, is_staff=True)


@pytest.fixture
def agent_login_template(settings, tmp_path):
    # The console's real login template lives on another branch; this stand-in sits after
    # the project's template dirs, so the real one wins once both are merged.
    (tmp_path / "registration").mkdir()
    (tmp_path / "registration" / "login.html").write_text(
        '<form method="post">{% csrf_token %}{{ form }}</form>'
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]


def attempt(client, url: str, password: str, username: str = "boss", ip: str = "10.0.0.1"):
    return client.post(
        url, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def fail(client, url: str, times: int, **kwargs) -> list[int]:
    return [attempt(client, url, "wrong", **kwargs).status_code for _ in range(times)]


def test_defaults_are_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True


def test_admin_login_locks_out_after_five_failures(client, staff_user):
    assert fail(client, ADMIN_LOGIN, 5) == [200, 200, 200, 200, 429]

    response = attempt(client, ADMIN_LOGIN, PASSWORD)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "_auth_user_id" not in client.session


def test_lockout_page_says_when_to_try_again(client, staff_user):
    fail(client, ADMIN_LOGIN, 5)

    response = attempt(client, ADMIN_LOGIN, PASSWORD)

    content = response.content.decode()
    assert "Sign-in temporarily blocked" in content
    assert "Try again in 15 minutes" in content
    assert response["Retry-After"] == "900"
    assert "no-store" in response["Cache-Control"]
    assert f'href="{ADMIN_LOGIN}"' in content


def test_agent_login_locks_out_after_five_failures(client, agent_user, agent_login_template):
    statuses = fail(client, AGENT_LOGIN, 5, username="agent")

    response = attempt(client, AGENT_LOGIN, "agent-password-1", username="agent")

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Try again in 15 minutes" in response.content


def test_lockout_is_per_username_and_ip(client, staff_user):
    User.objects.create_user("colleague", password=PASSWORD, is_staff=True)
    fail(client, ADMIN_LOGIN, 5)

    same_user_other_ip = attempt(client, ADMIN_LOGIN, PASSWORD, ip="10.0.0.2")
    client.logout()
    other_user_same_ip = attempt(client, ADMIN_LOGIN, PASSWORD, username="colleague")

    assert same_user_other_ip.status_code == HTTPStatus.FOUND
    assert other_user_same_ip.status_code == HTTPStatus.FOUND


def test_lockout_lasts_the_whole_cool_off(client, staff_user):
    fail(client, ADMIN_LOGIN, 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=14))

    response = attempt(client, ADMIN_LOGIN, PASSWORD)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_lockout_ends_after_the_cool_off(client, staff_user):
    fail(client, ADMIN_LOGIN, 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    response = attempt(client, ADMIN_LOGIN, PASSWORD)

    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(staff_user.pk)


def test_cool_off_follows_the_setting(client, staff_user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=30)
    fail(client, ADMIN_LOGIN, 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=31))

    response = attempt(client, ADMIN_LOGIN, PASSWORD)

    assert response.status_code == HTTPStatus.FOUND


def test_failure_limit_follows_the_setting(client, staff_user, settings):
    settings.AXES_FAILURE_LIMIT = 2

    assert fail(client, ADMIN_LOGIN, 2) == [200, 429]


def test_a_successful_login_resets_the_failure_count(client, staff_user):
    fail(client, ADMIN_LOGIN, 4)
    assert attempt(client, ADMIN_LOGIN, PASSWORD).status_code == HTTPStatus.FOUND
    client.logout()

    statuses = fail(client, ADMIN_LOGIN, 4)

    assert statuses == [200, 200, 200, 200]
    assert attempt(client, ADMIN_LOGIN, PASSWORD).status_code == HTTPStatus.FOUND


def test_nothing_locks_out_when_axes_is_disabled(client, staff_user, settings):
    settings.AXES_ENABLED = False

    assert fail(client, ADMIN_LOGIN, 6) == [200] * 6
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.9"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),
        (2, "6.6.6.6, 1.1.1.1, 10.1.1.1", "1.1.1.1"),
        (1, "", "10.0.0.9"),
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(settings, proxies, forwarded, expected):
    settings.ERCDASH_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
    ],
)
def test_password_reset_and_change_views_are_not_mounted_for_account_takeover(client, db, path):
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    assert client.post(path, {"email": "boss@example.com"}).status_code == HTTPStatus.NOT_FOUND


def test_sign_out_still_works(client, staff_user):
    client.force_login(staff_user)

    response = client.post("/accounts/logout/")

    assert response.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" not in client.session


@pytest.fixture
def many_staff(db) -> list[str]:
    names = [f"user{n}" for n in range(5)]
    for name in names:
        User.objects.create_user(name, password=PASSWORD, is_staff=True)
    return names


def test_password_spraying_from_one_address_is_blocked(client, many_staff, settings):
    settings.ERCDASH_SIGNIN_ADDRESS_LIMIT = 4
    # One guess per username never reaches the per-user limit of 5...
    statuses = [
        attempt(client, ADMIN_LOGIN, "Summer2026!", username=name, ip="10.6.6.6").status_code
        for name in many_staff[:4]
    ]

    # ...but the address is blocked, even for a right password.
    sprayer = attempt(client, ADMIN_LOGIN, PASSWORD, username=many_staff[4], ip="10.6.6.6")
    elsewhere = attempt(client, ADMIN_LOGIN, PASSWORD, username=many_staff[4], ip="10.0.0.7")

    assert statuses == [200, 200, 200, 429]
    assert sprayer.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert elsewhere.status_code == HTTPStatus.FOUND


def test_an_address_block_says_so_without_naming_a_user(client, many_staff, settings):
    settings.ERCDASH_SIGNIN_ADDRESS_LIMIT = 2
    for name in many_staff[:2]:
        attempt(client, ADMIN_LOGIN, "wrong", username=name)

    response = attempt(client, ADMIN_LOGIN, PASSWORD, username=many_staff[2])

    content = response.content.decode()
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "There were 2 failed sign-in attempts from this network" in " ".join(content.split())
    assert many_staff[2] not in content


def test_the_address_limit_counts_only_the_cool_off(client, many_staff, settings):
    settings.ERCDASH_SIGNIN_ADDRESS_LIMIT = 2
    for name in many_staff[:2]:
        attempt(client, ADMIN_LOGIN, "wrong", username=name)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    response = attempt(client, ADMIN_LOGIN, PASSWORD, username=many_staff[2])

    assert response.status_code == HTTPStatus.FOUND


def test_the_address_limit_defaults_to_30_and_zero_turns_it_off(client, many_staff, settings):
    assert settings.ERCDASH_SIGNIN_ADDRESS_LIMIT == 30
    settings.ERCDASH_SIGNIN_ADDRESS_LIMIT = 0
    for name in many_staff[:4]:
        attempt(client, ADMIN_LOGIN, "wrong", username=name)

    assert attempt(client, ADMIN_LOGIN, PASSWORD, username=many_staff[4]).status_code == 302


def test_a_proxy_that_erc_proxy_count_ignores_is_warned_about_once(client, db, settings, caplog):
    # With the count at 0 behind a load balancer, one attacker's failures lock out everybody.
    settings.ERCDASH_PROXY_COUNT = 0
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.9", "REMOTE_ADDR": "10.0.0.2"}

    with caplog.at_level(logging.WARNING, logger="ercdash.proxies"):
        client.get("/healthz")
        client.get(AGENT_LOGIN, **forwarded)
        client.get(AGENT_LOGIN, **forwarded)

    warnings = [r.getMessage() for r in caplog.records if r.name == "ercdash.proxies"]
    assert len(warnings) == 1
    assert "ERCDASH_PROXY_COUNT is 0" in warnings[0]
    assert "(10.0.0.2)" in warnings[0]


def test_no_warning_when_the_proxies_are_counted_or_absent(client, db, settings, caplog):
    settings.ERCDASH_PROXY_COUNT = 1
    counted = Client()
    direct = Client()

    with caplog.at_level(logging.WARNING, logger="ercdash.proxies"):
        counted.get(AGENT_LOGIN, HTTP_X_FORWARDED_FOR="203.0.113.9")
        settings.ERCDASH_PROXY_COUNT = 0
        direct.get(AGENT_LOGIN)

    assert not [r for r in caplog.records if r.name == "ercdash.proxies"]
