from __future__ import annotations

import json
import subprocess
import sys
from http import HTTPStatus
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from ercdash.settings import redis_cache

ROOT = Path(__file__).resolve().parent.parent
API = "/erc/ecommerce/customers/customer123/orders/order123"
UNAVAILABLE_BODY = {
    "code": "service_unavailable",
    "message": "Service unavailable",
    "description": "The service is temporarily unavailable; retry shortly.",
    "fields": [],
}
INTERNAL_ERROR_BODY = {
    "code": "internal_error",
    "message": "Internal error",
    "description": "Something went wrong on our side.",
    "fields": [],
}
UNKNOWN_TOKEN_BODY = {
    "code": "invalid_token",
    "message": "Invalid access token",
    "description": "The access token is unknown, expired or revoked.",
    "fields": [],
}
# Redis at a port nothing listens on: connections are refused at once.
CLOSED_REDIS = {"default": redis_cache("redis://127.0.0.1:1/0")}


def leaks(text: str) -> list[str]:
    words = ["Traceback", "Error", "SELECT", "127.0.0.1", "db.internal", "10.0.0.5", "5432"]
    return [word for word in words if word in text]


@pytest.fixture(scope="module")
def outage(django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    """The WSGI app in a subprocess, before, during and after a database outage."""
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "subprocess-secret-key-" + "k" * 40,
        "ERCDASH_SSL_REDIRECT": "0",
        "ERCDASH_STATIC_MANIFEST": "0",
    }
    args = [sys.executable, "-m", "tests.wsgi_fault_probe"]
    with django_db_blocker.unblock():
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            # The test database pytest-django made: the probe only reads from it.
            user = quote(db["USER"] or "")
            password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
            host = db["HOST"] or "127.0.0.1"
            port = db["PORT"] or "5432"
            env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('probe') / 'db.sqlite3'}"
            args.append("--migrate")
    completed = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return {**json.loads(completed.stdout), "stderr": completed.stderr}


@pytest.fixture(scope="module")
def redis_outage(tmp_path_factory) -> dict:
    """The WSGI app in a subprocess configured with REDIS_URL at a closed port."""
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "subprocess-secret-key-" + "k" * 40,
        "ERCDASH_SSL_REDIRECT": "0",
        "ERCDASH_STATIC_MANIFEST": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('redis') / 'db.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "ERCDASH_RATE_LIMIT": "1/min",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tests.wsgi_fault_probe", "--migrate", "--redis-down"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return {**json.loads(completed.stdout), "stderr": completed.stderr}


def test_api_answers_401_for_an_unknown_token_while_the_database_is_up(outage):
    assert outage["before_api"]["status"] == HTTPStatus.UNAUTHORIZED
    assert json.loads(outage["before_api"]["body"]) == UNKNOWN_TOKEN_BODY


def test_api_answers_503_with_retry_after_while_the_database_is_down(outage):
    response = outage["down_api"]

    assert response["status"] == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(response["body"]) == UNAVAILABLE_BODY
    assert response["headers"]["Retry-After"] == "5"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["X-Request-ID"] == "probe-1"


def test_the_503_body_and_headers_hold_nothing_internal(outage):
    response = outage["down_api"]

    assert leaks(response["body"]) == []
    assert leaks(json.dumps(response["headers"])) == []


def test_the_outage_is_logged_with_the_request_id(outage):
    lines = [json.loads(line) for line in outage["stderr"].splitlines() if line.startswith("{")]
    crashes = [line for line in lines if line["logger"] == "ercdash.api"]

    assert [line["request_id"] for line in crashes] == ["probe-1"]
    assert "OperationalError" in crashes[0]["exc_info"]


def test_readyz_answers_503_while_the_database_is_down(outage):
    response = outage["down_readyz"]

    assert response["status"] == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(response["body"]) == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "cache": "ok"},
    }
    assert response["headers"]["Retry-After"] == "5"


def test_healthz_stays_up_while_the_database_is_down(outage):
    assert outage["down_healthz"]["status"] == HTTPStatus.OK


def test_the_api_recovers_by_itself_when_the_database_returns(outage):
    assert outage["after_api"]["status"] == HTTPStatus.UNAUTHORIZED
    assert json.loads(outage["after_api"]["body"]) == UNKNOWN_TOKEN_BODY
    assert outage["after_readyz"]["status"] == HTTPStatus.OK


@pytest.mark.urls("tests.crash_urls")
def test_an_unhandled_exception_answers_the_500_body(client, read_auth):
    response = client.get("/erc/ecommerce/test-crash", **read_auth)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json() == INTERNAL_ERROR_BODY
    assert response["Cache-Control"] == "no-store"
    assert leaks(response.content.decode()) == []


@pytest.mark.urls("tests.crash_urls")
def test_an_unhandled_exception_is_logged_with_its_request_id(client, read_auth, json_log):
    client.get("/erc/ecommerce/test-crash", HTTP_X_REQUEST_ID="crash-42", **read_auth)

    errors = [line for line in json_log() if line["level"] == "ERROR"]
    assert [(line["logger"], line["request_id"]) for line in errors] == [
        ("ercdash.api", "crash-42"),
        ("django.request", "crash-42"),
    ]
    assert "RuntimeError" in errors[0]["exc_info"]


@pytest.mark.urls("tests.crash_urls")
def test_a_database_error_in_a_view_answers_503(client, read_auth):
    response = client.get("/erc/ecommerce/test-database-down", **read_auth)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == UNAVAILABLE_BODY
    assert response["Retry-After"] == "5"
    assert leaks(response.content.decode()) == []


def test_with_redis_url_at_a_closed_port_the_api_serves_past_the_rate_limit(redis_outage):
    assert redis_outage["cache_backend"] == "django_redis.cache.RedisCache"
    assert redis_outage["api"] == [HTTPStatus.OK] * 3


def test_with_redis_url_at_a_closed_port_sessions_come_from_the_database(redis_outage):
    assert redis_outage["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert redis_outage["session"] == {"agent": "agent-1"}


def test_with_redis_url_at_a_closed_port_the_app_stays_ready(redis_outage):
    assert redis_outage["readyz"] == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "degraded"},
    }


def test_a_redis_outage_is_logged(redis_outage):
    lines = [json.loads(line) for line in redis_outage["stderr"].splitlines() if line[:1] == "{"]

    assert {line["logger"] for line in lines if line["level"] == "ERROR"} == {"ercdash.cache"}


def test_the_api_serves_requests_while_redis_is_unreachable(
    client, read_auth, make_order, settings
):
    make_order()
    settings.CACHES = CLOSED_REDIS
    settings.ERCDASH_RATE_LIMIT = "1/min"

    statuses = [client.get(API, **read_auth).status_code for _ in range(3)]

    assert statuses == [HTTPStatus.OK] * 3


def test_readyz_stays_ready_with_a_degraded_cache_while_redis_is_unreachable(db, client, settings):
    settings.CACHES = CLOSED_REDIS

    response = client.get("/readyz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "degraded"}}


def test_sessions_survive_a_redis_outage(db, settings):
    settings.CACHES = CLOSED_REDIS
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    session = store_class()
    session["agent"] = "agent-1"
    session.save()

    assert store_class(session.session_key).load() == {"agent": "agent-1"}
