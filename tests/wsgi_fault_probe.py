"""Run by tests/test_faults.py in a subprocess: the real WSGI app through a database outage.

`python -m tests.wsgi_fault_probe [--migrate]` with DATABASE_URL in the environment prints one
JSON object: the responses before, during and after the database becomes unreachable. The
outage is made by pointing the live connection at a closed port (PostgreSQL) or a path that
cannot be opened (SQLite), closing it, and later restoring the settings without a restart.

With `--redis-down` (and REDIS_URL at a closed port) it reports API answers over the rate
limit, readiness and a session round trip instead.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from wsgiref.util import setup_testing_defaults

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

API_PATH = "/erc/ecommerce/customers/customer123/orders/order123"


def call(application, path: str, headers: dict[str, str] | None = None) -> dict:
    environ: dict = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "localhost"
    environ.update(headers or {})
    captured: dict = {}

    def start_response(status: str, response_headers: list, exc_info=None) -> None:
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(response_headers)

    chunks = application(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()  # fires request_finished, as a WSGI server would
    return {**captured, "body": body.decode()}


def redis_down(application) -> dict:
    """REDIS_URL names a closed port: requests, limits and sessions must carry on."""
    from importlib import import_module

    from django.conf import settings

    from bench.seed_bench import seed

    headers = {"HTTP_AUTHORIZATION": f"Bearer {seed(customers=1)}"}
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    session = store_class()
    session["agent"] = "agent-1"
    session.save()
    return {
        "cache_backend": settings.CACHES["default"]["BACKEND"],
        "session_engine": settings.SESSION_ENGINE,
        "api": [call(application, API_PATH, headers)["status"] for _ in range(3)],
        "readyz": json.loads(call(application, "/readyz")["body"]),
        "session": store_class(session.session_key).load(),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ercdash.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    if "--migrate" in sys.argv:
        call_command("migrate", verbosity=0)

    from ercdash.wsgi import application

    if "--redis-down" in sys.argv:
        print(json.dumps(redis_down(application)))
        return

    connection = connections["default"]
    original = dict(connection.settings_dict)
    api_headers = {"HTTP_AUTHORIZATION": "Bearer unknown-token", "HTTP_X_REQUEST_ID": "probe-1"}
    results = {
        "before_api": call(application, API_PATH, api_headers),
        "before_readyz": call(application, "/readyz"),
    }

    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/ercdash.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    connection.close()
    results["down_api"] = call(application, API_PATH, api_headers)
    results["down_readyz"] = call(application, "/readyz")
    results["down_healthz"] = call(application, "/healthz")

    # The database comes back; the app must reconnect on its own.
    connection.settings_dict.clear()
    connection.settings_dict.update(original)
    results["after_api"] = call(application, API_PATH, api_headers)
    results["after_readyz"] = call(application, "/readyz")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
