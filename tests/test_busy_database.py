from __future__ import annotations

import copy
import io
import json
import logging
import runpy
import sqlite3
import subprocess
import sys
import threading
from http import HTTPStatus
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.signals import user_logged_in
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from ercdash.sqlite import base as sqlite_base
from orders import services
from orders.models import AccessAudit, Order, OrderItem
from orders.services import imports, transactions
from tests.test_import_orders import BASE

ROOT = Path(__file__).resolve().parent.parent
API = "/erc/ecommerce/customers/customer123/orders/order123"
PAGE = "/agent/customers/customer123/orders/order123"
HX = {"HTTP_HX_REQUEST": "true"}


def failure(cause: BaseException) -> OperationalError:
    """An error as Django raises it: its own class, the driver's error as the cause."""
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def locked() -> OperationalError:
    return failure(sqlite3.OperationalError("database is locked"))


@pytest.fixture
def no_pauses(monkeypatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr(transactions, "sleep", pauses.append)
    return pauses


# --- SQLite: the connection options in force --------------------------------------------


@pytest.fixture
def sqlite_connection(tmp_path, monkeypatch, django_db_blocker):
    """sqlite_connection(**options) -> a connection to one SQLite file, set up as the product
    sets up the embedded default (whatever database this test run uses)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    configured = runpy.run_path(str(ROOT / "ercdash" / "settings.py"))["DATABASES"]["default"]
    aliases: list[str] = []

    def connect(**options):
        alias = f"busy{len(aliases)}"
        settings_dict = {
            **copy.deepcopy(configured),
            "NAME": str(tmp_path / "busy.sqlite3"),
            "OPTIONS": {**configured["OPTIONS"], **options},
        }
        configured_both = connections.configure_settings({"default": {}, alias: settings_dict})
        connections.settings[alias] = configured_both[alias]
        aliases.append(alias)
        return connections[alias]

    with django_db_blocker.unblock():
        with connect().cursor() as cursor:
            cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
            cursor.execute("INSERT INTO note (text) VALUES ('committed')")
        yield connect
        for alias in aliases:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]


def notes(conn) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT text FROM note ORDER BY id")
        return [text for (text,) in cursor.fetchall()]


def add_note(conn, text: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO note (text) VALUES (%s)", [text])


def test_the_embedded_default_is_sqlite_with_writers_taking_turns(sqlite_connection):
    conn = sqlite_connection()

    assert conn.settings_dict["ENGINE"] == "ercdash.sqlite"
    assert isinstance(conn, sqlite_base.DatabaseWrapper)
    assert conn.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_keeps_a_write_ahead_log_syncs_each_commit_and_waits_five_seconds(
    sqlite_connection,
):
    with sqlite_connection().cursor() as cursor:
        pragmas = {
            name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "busy_timeout")
        }

    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 5000}


def test_redoable_writes_commit_without_waiting_for_the_disk_then_durably_again(
    sqlite_connection,
):
    conn = sqlite_connection()

    def synchronous() -> int:
        with conn.cursor() as cursor:
            return cursor.execute("PRAGMA synchronous").fetchone()[0]

    with transactions.redoable_writes(using=conn.alias):
        during = synchronous()
        add_note(conn, "imported")

    assert (during, synchronous()) == (1, 2)  # NORMAL, then FULL again
    assert notes(conn) == ["committed", "imported"]


def test_a_synced_write_is_on_disk_once_it_returns_but_not_synced_under_the_lock(
    sqlite_connection, monkeypatch
):
    conn, other = sqlite_connection(), sqlite_connection()
    synced: list[tuple[bool, list[str]]] = []
    real = sqlite_base.os.fsync

    def fsync(descriptor):
        # What another connection sees when the log is synced: the write, committed.
        synced.append((conn.in_atomic_block, notes(other)))
        real(descriptor)

    monkeypatch.setattr(sqlite_base.os, "fsync", fsync)

    with (
        transactions.synced_after_commit(using=conn.alias),
        transaction.atomic(using=conn.alias),
        conn.cursor() as cursor,
    ):
        during = cursor.execute("PRAGMA synchronous").fetchone()[0]
        add_note(conn, "delivery")

    with conn.cursor() as cursor:
        after = cursor.execute("PRAGMA synchronous").fetchone()[0]
    assert (during, after) == (1, 2)  # NORMAL for the commit, FULL again
    assert synced == [(False, ["committed", "delivery"])]


def test_redoable_writes_inside_a_transaction_change_nothing(sqlite_connection):
    conn = sqlite_connection()

    with (
        transaction.atomic(using=conn.alias),
        transactions.redoable_writes(using=conn.alias),
        conn.cursor() as cursor,
    ):
        during = cursor.execute("PRAGMA synchronous").fetchone()[0]

    assert during == 2


@pytest.mark.django_db(transaction=True)
def test_redoable_writes_on_postgresql_turn_synchronous_commit_off_for_their_time():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's setting (SQLite: the tests above)")

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    with transactions.redoable_writes():
        during = setting()

    assert (during, setting()) == ("off", "on")


def test_a_write_transaction_takes_the_write_lock_as_it_begins(sqlite_connection):
    writer, other = sqlite_connection(), sqlite_connection(timeout=0)

    with (
        transaction.atomic(using=writer.alias),
        pytest.raises(OperationalError, match="database is locked"),
        transaction.atomic(using=other.alias),
    ):
        pass


def test_reads_go_on_while_a_writer_holds_the_lock(sqlite_connection):
    # The reader may not wait at all: a busy timeout of 0 fails at once on any lock.
    writer, reader = sqlite_connection(), sqlite_connection(timeout=0)

    with transaction.atomic(using=writer.alias):
        add_note(writer, "uncommitted")
        assert notes(reader) == ["committed"]

    assert notes(reader) == ["committed", "uncommitted"]


def test_a_waiting_writer_gets_the_lock_as_soon_as_the_holder_commits(
    sqlite_connection, monkeypatch
):
    holder = sqlite_connection()
    sqlite_connection()  # the waiter's settings; its connection opens in its own thread
    polling = threading.Event()
    real_sleep = sqlite_base.sleep

    def poll(seconds: float) -> None:
        polling.set()
        real_sleep(seconds)

    monkeypatch.setattr(sqlite_base, "sleep", poll)
    errors: list[Exception] = []

    def wait_and_write() -> None:
        try:
            with transaction.atomic(using="busy1"):
                add_note(connections["busy1"], "waited")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections["busy1"].close()

    with transaction.atomic(using=holder.alias):
        add_note(holder, "held")
        waiter = threading.Thread(target=wait_and_write)
        waiter.start()
        polling.wait()
    waiter.join()

    assert errors == []
    assert notes(holder) == ["committed", "held", "waited"]


def test_a_connection_that_held_the_lock_a_while_lets_waiting_writers_in_first(
    sqlite_connection, monkeypatch
):
    conn = sqlite_connection()
    now = [100.0]
    pauses: list[float] = []
    monkeypatch.setattr(sqlite_base, "monotonic", lambda: now[0])
    monkeypatch.setattr(sqlite_base, "sleep", pauses.append)

    with transaction.atomic(using=conn.alias):
        now[0] += 0.001  # a short hold
    with transaction.atomic(using=conn.alias):
        now[0] += sqlite_base.LONG_HOLD_SECONDS  # a long one
    with transaction.atomic(using=conn.alias):
        pass

    assert pauses == [pytest.approx(sqlite_base.YIELD_SECONDS)]


# --- Retries ------------------------------------------------------------------------------


def flaky(failures: list[BaseException], then):
    def run():
        if failures:
            raise failures.pop(0)
        return then()

    return run


@pytest.mark.django_db(transaction=True)
def test_a_write_that_finds_the_database_locked_is_tried_again(no_pauses):
    write = flaky([locked(), locked()], lambda: AccessAudit.objects.create(actor="a"))

    transactions.retrying(write)

    assert AccessAudit.objects.count() == 1
    assert len(no_pauses) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sqlstate", ["40P01", "40001", "55P03"])
def test_a_deadlock_serialization_failure_or_lock_timeout_is_tried_again(no_pauses, sqlstate):
    write = flaky([failure(PgError(sqlstate))], lambda: AccessAudit.objects.create(actor="a"))

    transactions.retrying(write)

    assert AccessAudit.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "cause",
    [sqlite3.OperationalError("unable to open database file"), PgError("08006")],
    ids=["sqlite", "postgresql"],
)
def test_a_database_that_is_down_is_not_tried_again(no_pauses, cause):
    write = flaky([failure(cause)], lambda: AccessAudit.objects.create(actor="a"))

    with pytest.raises(OperationalError):
        transactions.retrying(write)

    assert no_pauses == []


@pytest.mark.django_db(transaction=True)
def test_a_write_gives_up_once_its_time_is_up(no_pauses):
    write = flaky([locked(), locked()], lambda: AccessAudit.objects.create(actor="a"))

    with pytest.raises(OperationalError, match="database is locked"):
        transactions.retrying(write, seconds=0)

    assert AccessAudit.objects.count() == 0


def test_inside_a_transaction_the_outermost_one_owns_the_retry(db, no_pauses):
    write = flaky([locked()], lambda: AccessAudit.objects.create(actor="a"))

    with pytest.raises(OperationalError), transaction.atomic():
        transactions.retrying(write)

    assert no_pauses == []


@pytest.mark.django_db(transaction=True)
def test_a_retried_cancel_cancels_once(no_pauses, make_order, monkeypatch):
    order = make_order()
    real = services.cancel.audit_record
    failures = [locked()]

    def audit_failing_once(**fields):
        if failures:
            raise failures.pop()
        return real(**fields)

    monkeypatch.setattr(services.cancel, "audit_record", audit_failing_once)

    services.order_cancel(order=order, reason="OTHER", actor="client:x", channel="api")

    order.refresh_from_db()
    assert order.is_canceled
    assert AccessAudit.objects.filter(action="cancel_order").count() == 1
    assert order.status_events.filter(description__startswith="Canceled").count() == 1
    assert len(no_pauses) == 1


# --- Import: short transactions -----------------------------------------------------------


def documents(count: int) -> list[dict]:
    made = []
    for n in range(count):
        document = copy.deepcopy(BASE)
        document.update(id=f"order{n}", order_number=f"#N{n}")
        made.append(document)
    return made


@pytest.fixture
def import_transactions(monkeypatch) -> list[tuple[int, bool]]:
    """(records written, inside another transaction?) for each write transaction of an import."""
    real = imports._write_some
    seen: list[tuple[int, bool]] = []

    def write_some(pending, **kwargs):
        outer = connection.in_atomic_block
        written = real(pending, **kwargs)
        seen.append((len(written), outer))
        return written

    monkeypatch.setattr(imports, "_write_some", write_some)
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_import_writes_in_transactions_of_its_own_of_a_few_records(
    monkeypatch, import_transactions
):
    monkeypatch.setattr(imports, "WRITE_BATCH", 2)
    # A frozen clock: on a busy machine a record may take longer than WRITE_SECONDS itself.
    monkeypatch.setattr(imports, "clock", lambda: 0.0)

    result = services.orders_import(documents=documents(5))

    assert result.summary() == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert import_transactions == [(2, False), (2, False), (1, False)]


@pytest.mark.django_db(transaction=True)
def test_an_import_transaction_that_ran_over_its_time_makes_the_next_ones_smaller(
    monkeypatch, import_transactions
):
    monkeypatch.setattr(imports, "FIRST_BATCH", 8)
    monkeypatch.setattr(imports, "MIN_BATCH", 1)
    # Every write transaction seems to last twice WRITE_SECONDS.
    monkeypatch.setattr(imports, "WRITE_SECONDS", 1.0)
    ticks = iter(range(1000))
    monkeypatch.setattr(imports, "clock", lambda: next(ticks) * 2.0)

    result = services.orders_import(documents=documents(16))

    assert result.summary() == {"created": 16, "updated": 0, "unchanged": 0, "rejected": 0}
    assert import_transactions == [(8, False), (4, False), (2, False), (1, False), (1, False)]


@pytest.mark.django_db(transaction=True)
def test_an_import_transaction_takes_no_fewer_than_min_batch_records(
    monkeypatch, import_transactions
):
    monkeypatch.setattr(imports, "FIRST_BATCH", 4)
    monkeypatch.setattr(imports, "MIN_BATCH", 3)
    ticks = iter(range(1000))
    monkeypatch.setattr(imports, "clock", lambda: next(ticks) * 100 * imports.WRITE_SECONDS)

    services.orders_import(documents=documents(10))

    assert import_transactions == [(4, False), (3, False), (3, False)]


@pytest.mark.django_db(transaction=True)
def test_an_import_transaction_that_lost_a_lock_race_is_written_and_counted_once(
    monkeypatch, no_pauses
):
    real = imports._write_batch
    failures = [locked()]

    def write_failing_once(batch, preloaded=None):
        outcomes = real(batch, preloaded)
        if failures:
            raise failures.pop()  # order0..order3 are written: all are rolled back
        return outcomes

    monkeypatch.setattr(imports, "_write_batch", write_failing_once)

    result = services.orders_import(documents=documents(4))

    assert result.summary() == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    assert Order.objects.count() == 4
    assert len(no_pauses) == 1


@pytest.mark.django_db(transaction=True)
def test_an_update_retried_after_a_lost_lock_race_is_applied_to_the_orders_as_stored(
    monkeypatch, no_pauses
):
    services.orders_import(documents=documents(4))
    real = imports._write_batch
    failures = [locked()]

    def write_failing_once(batch, preloaded=None):
        outcomes = real(batch, preloaded)  # changes the loaded orders in memory
        if failures:
            raise failures.pop()
        return outcomes

    monkeypatch.setattr(imports, "_write_batch", write_failing_once)
    changed = documents(4)
    for document in changed:
        document["brand"] = "Casa Lisboa"
        document["items"][0]["quantity"] = 2

    result = services.orders_import(documents=changed)

    assert result.summary() == {"created": 0, "updated": 4, "unchanged": 0, "rejected": 0}
    assert set(Order.objects.values_list("brand", "derived_items_quantity")) == {("Casa Lisboa", 2)}
    assert OrderItem.objects.count() == 4
    assert len(no_pauses) == 1


@pytest.mark.django_db(transaction=True)
def test_an_order_written_by_an_import_is_not_locked_once_its_transaction_is_done(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite's one write lock: tests.busy_database_probe)")
    import psycopg

    monkeypatch.setattr(imports, "WRITE_BATCH", 1)
    real = imports._write_batch
    lockable: list[bool] = []
    db = connection.settings_dict

    def write_and_look(batch, preloaded=None):
        if batch[0][1]["id"] == "order1":
            # Another session locks the order the previous transaction wrote, without waiting.
            with psycopg.connect(
                dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                host=db["HOST"], port=db["PORT"] or None, autocommit=False,
            ) as other:  # fmt: skip
                try:
                    other.execute(
                        "SELECT 1 FROM orders_order WHERE external_id = %s FOR UPDATE NOWAIT",
                        ["order0"],
                    )
                    lockable.append(True)
                except psycopg.errors.LockNotAvailable:
                    lockable.append(False)
        return real(batch, preloaded)

    monkeypatch.setattr(imports, "_write_batch", write_and_look)

    services.orders_import(documents=documents(2))

    assert lockable == [True]


# --- Console audit rows: after the response, never lost -----------------------------------


@pytest.fixture
def agents_group(transactional_db) -> Group:
    """The role the data migration creates, which transactional tests' flushes remove."""
    group, _ = Group.objects.get_or_create(name="Agents")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="view_order")
    )
    return group


def wsgi_get(path: str, cookies) -> tuple[int, bytes, object]:
    """A response as the WSGI server holds it: sent, but not yet closed."""
    environ: dict = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    environ["HTTP_COOKIE"] = "; ".join(f"{key}={morsel.value}" for key, morsel in cookies.items())
    status: list[int] = []
    response = WSGIHandler()(environ, lambda line, headers, exc_info=None: status.append(line))
    return int(status[0].split()[0]), b"".join(response), response


@pytest.mark.django_db(transaction=True)
def test_the_audit_row_is_written_once_the_page_has_been_sent(
    agents_group, agent_client, make_order
):
    make_order(order_number="#Y34DHR")

    status, content, response = wsgi_get(PAGE, agent_client.cookies)
    rows_while_sending = AccessAudit.objects.count()
    response.close()

    assert (status, rows_while_sending) == (HTTPStatus.OK, 0)
    assert b"#Y34DHR" in content
    assert AccessAudit.objects.get().action == "view_order"


@pytest.mark.django_db(transaction=True)
def test_an_audit_row_whose_write_fails_for_a_moment_is_still_written(
    agents_group, agent_client, make_order, monkeypatch, no_pauses, caplog
):
    make_order()
    real = AccessAudit.objects.bulk_create
    failures = [locked(), locked()]

    def bulk_create(rows):
        if failures:
            raise failures.pop()
        return real(rows)

    monkeypatch.setattr(AccessAudit.objects, "bulk_create", bulk_create)

    response = agent_client.get(PAGE, HTTP_X_REQUEST_ID="req-flaky")

    assert response.status_code == HTTPStatus.OK
    assert list(AccessAudit.objects.values_list("action", "request_id")) == [
        ("view_order", "req-flaky")
    ]
    assert len(no_pauses) == 2


@pytest.mark.django_db(transaction=True)
def test_an_audit_row_that_cannot_be_written_goes_to_the_log_in_full(
    agents_group, agent_client, agent_user, make_order, monkeypatch, caplog
):
    make_order()

    def down(rows):
        raise failure(sqlite3.OperationalError("unable to open database file"))

    monkeypatch.setattr(AccessAudit.objects, "bulk_create", down)

    with caplog.at_level(logging.ERROR, logger="ercdash.audit"):
        response = agent_client.get(PAGE, HTTP_X_REQUEST_ID="req-down")

    assert response.status_code == HTTPStatus.OK
    [record] = [r for r in caplog.records if r.name == "ercdash.audit"]
    logged = json.loads(record.getMessage().split(": ", 1)[1])
    assert {key: value for key, value in logged.items() if key != "at"} == {
        "actor": "agent:agent",
        "user_id": agent_user.pk,
        "channel": "console",
        "action": "view_order",
        "customer_id": "customer123",
        "order_id": "order123",
        "request_id": "req-down",
        "detail": "",
    }


@pytest.mark.django_db(transaction=True)
def test_signing_in_writes_in_one_transaction_of_its_own(client, fast_password_hashing):
    User.objects.create_user("agent", password="agent-password-1")
    during_sign_in: list[bool] = []

    def record(**kwargs) -> None:
        during_sign_in.append(connection.in_atomic_block)

    user_logged_in.connect(record)
    try:
        response = client.post(
            "/accounts/login/", {"username": "agent", "password": "agent-password-1"}
        )
    finally:
        user_logged_in.disconnect(record)

    assert response.status_code == HTTPStatus.FOUND
    assert during_sign_in == [True]
    assert User.objects.get().last_login is not None


# --- Reads write nothing ------------------------------------------------------------------


def statements(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split()[0].upper() for query in queries.captured_queries]


def test_the_api_read_writes_nothing(client, read_auth, make_order):
    make_order()

    with CaptureQueriesContext(connection) as queries:
        assert client.get(API, **read_auth).status_code == HTTPStatus.OK

    assert set(statements(queries)) == {"SELECT"}


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "timeline refresh"])
def test_the_order_page_writes_only_its_audit_row(agent_client, make_order, headers):
    make_order()

    with CaptureQueriesContext(connection) as queries:
        assert agent_client.get(PAGE, **headers).status_code == HTTPStatus.OK

    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert [sql.split()[0] for sql in writes] == ["SAVEPOINT", "INSERT", "RELEASE"]
    assert '"orders_accessaudit"' in writes[1]


# --- The app on a SQLite file beside other writers (tests/busy_database_probe.py) -----------


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("busy")
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "subprocess-secret-key-" + "k" * 40,
        "ERCDASH_SSL_REDIRECT": "0",
        "ERCDASH_STATIC_MANIFEST": "0",
        "DATABASE_URL": f"sqlite:///{work / 'busy.sqlite3'}",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tests.busy_database_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def test_the_app_opens_sqlite_in_wal_mode_with_a_busy_timeout(probe):
    assert probe["options"] == {"journal_mode": "wal", "busy_timeout": 5000, "synchronous": 2}


def test_reads_are_answered_while_another_process_holds_the_write_lock(probe):
    reads = probe["reads_while_locked"]

    assert (reads["api"], reads["timeline_poll"], reads["page"]) == (200, 200, 200)


def test_a_locked_database_is_not_down(probe):
    assert probe["reads_while_locked"]["readyz"] == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok"},
    }


def test_the_page_is_answered_before_its_audit_row_waits_for_the_lock(probe):
    reads = probe["reads_while_locked"]

    assert (reads["audit_rows_before_close"], reads["audit_rows_after_close"]) == (0, 1)


def test_a_write_that_finds_the_database_locked_retries_and_lands(probe):
    assert probe["retry_on_locked"] == {"retries": 1, "rows": 1}


def test_every_page_view_beside_an_import_leaves_exactly_one_audit_row(probe):
    load = probe["page_views_beside_an_import"]

    assert load["statuses"] == [200]
    assert load["page_views"] == load["audit_rows"] == load["distinct_request_ids"] == 60
    assert load["import"] == {"created": 120, "updated": 0, "unchanged": 0, "rejected": 0}
    assert load["imported_orders"] == 120
