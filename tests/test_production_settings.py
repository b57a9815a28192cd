from __future__ import annotations

import json
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

READ_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
names = {names!r}
print(json.dumps({{name: getattr(settings, name) for name in names}}, default=str))
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "ercdash.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_in(env: dict[str, str], *names: str) -> dict:
    completed = run(["-c", READ_SETTINGS.format(names=names)], env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_check_deploy_passes_with_production_settings(production_env):
    completed = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)

    assert completed.returncode == 0, completed.stderr
    assert "System check identified no issues (0 silenced)." in completed.stdout


def test_start_up_fails_clearly_without_a_secret_key(production_env):
    del production_env["SECRET_KEY"]

    completed = run(["manage.py", "check"], production_env)

    assert completed.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set." in completed.stderr


def test_debug_is_off_by_default(production_env):
    assert settings_in(production_env, "DEBUG") == {"DEBUG": False}


def test_tls_protections_are_on_by_default(production_env):
    assert settings_in(
        production_env,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    ) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_ssl_redirect_can_be_left_to_a_tls_terminating_proxy(production_env):
    production_env["ERCDASH_SSL_REDIRECT"] = "0"

    assert settings_in(production_env, "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE") == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": True,
    }


def test_database_url_keeps_connections_open_with_health_checks(production_env):
    production_env["DATABASE_URL"] = "postgres://ercdash:secret@db.internal:5432/ercdash"

    database = settings_in(production_env, "DATABASES")["DATABASES"]["default"]

    assert {key: database[key] for key in ("ENGINE", "HOST", "NAME", "CONN_MAX_AGE")} == {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db.internal",
        "NAME": "ercdash",
        "CONN_MAX_AGE": 60,
    }
    assert database["CONN_HEALTH_CHECKS"] is True


def test_connection_health_checks_can_be_turned_off(production_env):
    production_env["DATABASE_URL"] = "postgres://ercdash:secret@db.internal:5432/ercdash"
    production_env["DATABASE_CONN_HEALTH_CHECKS"] = "0"

    database = settings_in(production_env, "DATABASES")["DATABASES"]["default"]

    assert database["CONN_HEALTH_CHECKS"] is False


def test_postgresql_prepares_the_statements_a_connection_repeats(production_env):
    production_env["DATABASE_URL"] = "postgres://ercdash:secret@db.internal:5432/ercdash"

    database = settings_in(production_env, "DATABASES")["DATABASES"]["default"]

    assert database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(production_env):
    production_env["DATABASE_URL"] = "postgres://ercdash:secret@db.internal:5432/ercdash"
    production_env["DATABASE_PREPARED_STATEMENTS"] = "0"

    database = settings_in(production_env, "DATABASES")["DATABASES"]["default"]

    assert "server_side_binding" not in database.get("OPTIONS", {})
    assert "prepare_threshold" not in database.get("OPTIONS", {})


def test_sqlite_gets_no_postgresql_options(production_env):
    database = settings_in(production_env, "DATABASES")["DATABASES"]["default"]

    assert database["ENGINE"] == "ercdash.sqlite"
    assert "prepare_threshold" not in database.get("OPTIONS", {})


def test_without_redis_url_the_cache_is_local_memory(production_env):
    configured = settings_in(production_env, "CACHES", "SESSION_ENGINE")

    assert configured == {
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "ercdash",
            }
        },
        "SESSION_ENGINE": "ercdash.sessions",
    }


def test_redis_url_shares_the_cache_and_caches_sessions_over_the_database(production_env):
    production_env["REDIS_URL"] = "redis://cache.internal:6379/1"

    configured = settings_in(production_env, "CACHES", "SESSION_ENGINE")

    assert configured == {
        "CACHES": {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "redis://cache.internal:6379/1",
                "KEY_PREFIX": "ercdash",
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "IGNORE_EXCEPTIONS": True,
                    "SOCKET_CONNECT_TIMEOUT": 0.25,
                    "SOCKET_TIMEOUT": 0.25,
                },
            }
        },
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
    }


def test_the_rate_limit_comes_from_the_environment(production_env):
    production_env["ERCDASH_RATE_LIMIT"] = "50/10s"

    assert settings_in(production_env, "ERCDASH_RATE_LIMIT") == {"ERCDASH_RATE_LIMIT": "50/10s"}


def test_start_up_fails_clearly_with_a_malformed_rate_limit(production_env):
    production_env["ERCDASH_RATE_LIMIT"] = "lots"

    completed = run(["manage.py", "check"], production_env)

    assert completed.returncode != 0
    assert "ImproperlyConfigured: ERCDASH_RATE_LIMIT='lots'" in completed.stderr


def test_the_default_rate_limit_is_600_a_minute_per_client(production_env):
    configured = settings_in(production_env, "ERCDASH_RATE_LIMIT", "REST_FRAMEWORK")

    assert configured["ERCDASH_RATE_LIMIT"] == "600/min"
    assert configured["REST_FRAMEWORK"]["DEFAULT_THROTTLE_CLASSES"] == [
        "orders.api.throttling.ClientRateThrottle"
    ]


def test_the_token_endpoint_allows_30_requests_a_minute_per_client_by_default(production_env):
    configured = settings_in(production_env, "ERCDASH_TOKEN_RATE_LIMIT")

    assert configured == {"ERCDASH_TOKEN_RATE_LIMIT": "30/min"}


def test_start_up_fails_clearly_with_a_malformed_token_rate_limit(production_env):
    production_env["ERCDASH_TOKEN_RATE_LIMIT"] = "30 a minute"

    completed = run(["manage.py", "check"], production_env)

    assert completed.returncode != 0
    assert "ImproperlyConfigured: ERCDASH_TOKEN_RATE_LIMIT='30 a minute'" in completed.stderr


def test_client_secrets_get_their_own_hasher_after_djangos_defaults(production_env):
    configured = settings_in(production_env, "PASSWORD_HASHERS", "OAUTH2_PROVIDER")

    assert configured["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert configured["PASSWORD_HASHERS"][-1] == "orders.api.hashers.ClientSecretHasher"
    assert configured["OAUTH2_PROVIDER"]["CLIENT_SECRET_HASHER"] == "pbkdf2_sha256_client"


def test_plain_http_is_redirected_to_https_when_ssl_redirect_is_on(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/admin/login/", secure=False)

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "https://testserver/admin/login/"


def test_https_forwarded_by_the_proxy_is_not_redirected(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == HTTPStatus.OK


def test_hsts_is_sent_over_https(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get("/admin/login/", secure=True)

    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_gunicorn_workers_freeze_the_loaded_app_out_of_the_garbage_collector():
    import gc
    import runpy

    config = runpy.run_path(str(ROOT / "ercdash" / "gunicorn.conf.py"))
    try:
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert config["worker_class"] == "sync"
