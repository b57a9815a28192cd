from __future__ import annotations

import json
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from unittest import mock

import pytest
from oauth2_provider.models import AccessToken

from ercdash.routers import ReplicaRouter, replica_reads
from orders.models import Order

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def replica_run(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("replica")
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "subprocess-secret-key-" + "k" * 40,
        "ERCDASH_SSL_REDIRECT": "0",
        "ERCDASH_STATIC_MANIFEST": "0",
        "DATABASE_URL": f"sqlite:///{work / 'primary.sqlite3'}",
        "DATABASE_REPLICA_URL": f"sqlite:///{work / 'replica.sqlite3'}",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tests.replica_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture
def replica_request():
    token = replica_reads.set(True)
    yield
    replica_reads.reset(token)


def test_api_reads_orders_from_the_replica_and_tokens_from_the_primary(replica_run):
    # The token exists only on the primary, the order not yet on the replica: 404, not 401.
    assert replica_run["lagging_replica"] == HTTPStatus.NOT_FOUND


def test_api_serves_the_order_once_the_replica_catches_up(replica_run):
    assert replica_run["caught_up_replica"] == HTTPStatus.OK


def test_readyz_checks_the_replica_too(replica_run):
    assert replica_run["readyz"] == {
        "status": "ok",
        "checks": {"database": "ok", "replica": "ok", "cache": "ok"},
    }


def test_order_reads_of_a_safe_request_go_to_the_replica(replica_request):
    with mock.patch("ercdash.routers.connections") as connections:
        connections.__getitem__.return_value.in_atomic_block = False
        assert ReplicaRouter().db_for_read(Order) == "replica"


def test_reads_inside_a_transaction_stay_on_the_primary(replica_request):
    with mock.patch("ercdash.routers.connections") as connections:
        connections.__getitem__.return_value.in_atomic_block = True
        assert ReplicaRouter().db_for_read(Order) == "default"


def test_token_reads_stay_on_the_primary(replica_request):
    assert ReplicaRouter().db_for_read(AccessToken) == "default"


def test_reads_outside_safe_requests_stay_on_the_primary():
    assert ReplicaRouter().db_for_read(Order) == "default"


def test_writes_and_migrations_go_to_the_primary_only():
    router = ReplicaRouter()

    assert router.db_for_write(Order) == "default"
    assert [router.allow_migrate(db, "orders") for db in ("default", "replica")] == [True, False]
