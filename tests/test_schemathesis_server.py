"""schemathesis from outside: a real gunicorn on 127.0.0.1, the schemathesis command, --checks all.

The in-process run (test_api_schema.py) covers both databases; this one covers what only a
real HTTP server shows (the request line, headers as sent on the wire, gunicorn's own limits),
on its own SQLite file with demo data. Every answer is also checked against Talkdesk's
shapes (tests/contracts, through SCHEMATHESIS_HOOKS).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core import signing

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PORTS = range(8740, 8750)
KEY = "schemathesis-server-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
SCOPES = "erc-ecommerce-customers:read erc-ecommerce-customers:write"
# Cancel changes state: a schema-valid cancel of an order that an earlier case canceled, or
# that has shipped, is a 422 by design, so 422 counts as accepting the request there.
CONFIG = """
[[operations]]
include-operation-id = "cancelOrder"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "422"]

# A schema-valid address may still break rules a schema cannot say (a region of another
# country, a phone or postal code the country does not have): 400 accepts the request too.
[[operations]]
include-operation-id = "changeOrderShippingAddress"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "422"]
"""


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8740-8749")


def genuine_cursors() -> dict[str, str]:
    """Cursors the server accepts (signed with its key), for schemathesis_hooks to use."""

    def sign(position: dict) -> str:
        return signing.dumps(position, key=KEY, salt="ercdash.api.cursor", compress=True)

    cursors = {
        order_by: sign({"k": "orders", "o": order_by, "p": "2026-09-14T12:16:50+00:00", "i": 1})
        for order_by in ("purchase_datetime:desc", "purchase_datetime:asc")
    }
    cursors["items"] = sign({"k": "items", "p": 0, "i": 0})
    for order_by in ("shipping_date:desc", "shipping_date:asc"):
        position = {"k": "shipments", "o": order_by, "p": "2026-09-14T12:16:50+00:00", "i": 1}
        cursors["shipments " + order_by] = sign(position)
    return cursors


@pytest.fixture
def server(tmp_path):
    """(base URL, client credentials) of a gunicorn started on a fresh demo database."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SECRET_KEY": KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'schemathesis.sqlite3'}",
        "ERCDASH_SSL_REDIRECT": "0",
        "ERCDASH_SECURE_COOKIES": "0",
        "ERCDASH_STATIC_MANIFEST": "0",
        # schemathesis is one client sending thousands of requests.
        "ERCDASH_RATE_LIMIT": "1000000/min",
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
            text=True, check=True, timeout=300,
        )  # fmt: skip
        return done.stdout

    manage("migrate", "--verbosity", "0")
    manage("seed_demo", "--customers", "6")
    credentials = json.loads(manage("create_api_client", "schemathesis", "--scopes", SCOPES))
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "ercdash/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text())
        yield base, credentials
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        log.close()


def token(base: str, credentials: dict) -> str:
    pair = f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    request = urllib.request.Request(
        base + "/oauth/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access_token"]


def test_schemathesis_with_every_check_finds_nothing_against_a_real_server(server, tmp_path):
    base, credentials = server
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.contracts.schemathesis_hooks",
        "ERCDASH_TEST_CURSORS": json.dumps(genuine_cursors()),
    }

    run = subprocess.run(
        [str(BIN / "schemathesis"), "--config-file", str(config), "--no-color", "run",
         f"{base}/erc/ecommerce/openapi.json",
         "--checks", "all",
         "--header", f"Authorization: Bearer {token(base, credentials)}",
         # One worker: Python 3.11's ast.parse (hypothesis describes filters with it) can
         # fail with "AST constructor recursion depth mismatch" when threads call it at once.
         "--max-examples", "30", "--seed", "20210914", "--workers", "1",
         "--generation-database", "none"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip

    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert (
        "11 selected / 11 total" in run.stdout
    )  # every documented operation, address change included
