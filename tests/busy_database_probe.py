"""Run by tests/test_busy_database.py in a subprocess: the app on a SQLite file beside writers.

`python -m tests.busy_database_probe` with DATABASE_URL naming a SQLite file prints one JSON
object. Nothing here depends on timing: a second connection holds the write lock while reads
are served and lets it go only when told to (by an event or by the retry it provokes), and
console page views run in threads beside an import running in another thread.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
import threading
from pathlib import Path
from wsgiref.util import setup_testing_defaults

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ercdash.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.seed_bench import seed  # noqa: E402
from bench.writes import order_document  # noqa: E402
from orders import services  # noqa: E402
from orders.models import AccessAudit, Order  # noqa: E402
from orders.services import imports, transactions  # noqa: E402

API = "/erc/ecommerce/customers/customer123/orders/order123"
PAGE = "/agent/customers/customer123/orders/order123"
THREADS = 4
VIEWS_PER_THREAD = 15
IMPORTED = 120


def holding_the_write_lock() -> sqlite3.Connection:
    """Another connection, as another process would have: it holds the write lock until told.

    EXCLUSIVE: in SQLite's default rollback journal that locks readers out too; in WAL mode
    it is the same as IMMEDIATE, readers go on.
    """
    holder = sqlite3.connect(settings.DATABASES["default"]["NAME"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE orders_customer SET first_name = first_name")
    return holder


def wsgi_get(application, path: str, cookie: str) -> tuple[int, object]:
    """The response as a WSGI server has it before it closes it (i.e. before sending ends)."""
    environ: dict = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    environ.update(HTTP_HOST="localhost", HTTP_COOKIE=f"sessionid={cookie}")
    captured: dict = {}

    def start_response(status: str, headers: list, exc_info=None) -> None:
        captured["status"] = int(status.split()[0])

    response = application(environ, start_response)
    b"".join(response)
    return captured["status"], response


def options() -> dict:
    with connection.cursor() as cursor:
        return {
            name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "busy_timeout", "synchronous")
        }


def reads_while_locked(auth: dict, agent: Client, cookie: str) -> dict:
    application = get_wsgi_application()
    holder = holding_the_write_lock()
    try:
        result = {
            "api": Client().get(API, **auth).status_code,
            "timeline_poll": agent.get(PAGE, HTTP_HX_REQUEST="true").status_code,
            "readyz": Client().get("/readyz").json(),
        }
        status, response = wsgi_get(application, PAGE, cookie)
        result["page"] = status
        result["audit_rows_before_close"] = AccessAudit.objects.count()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    response.close()  # what the server does once the client has the page
    result["audit_rows_after_close"] = AccessAudit.objects.count()
    return result


def retry_on_locked() -> dict:
    holder = holding_the_write_lock()
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        # The first retry is the moment the other writer finishes.
        pauses.append(seconds)
        if len(pauses) == 1:
            holder.execute("ROLLBACK")

    options_ = connection.settings_dict["OPTIONS"]
    timeout, options_["timeout"] = options_["timeout"], 0.05
    transactions.sleep = pause
    try:
        services.audit_record(
            actor="probe", channel="api", action="view_order", order_id="retry-probe"
        )
    finally:
        options_["timeout"] = timeout
        holder.close()
    return {
        "retries": len(pauses),
        "rows": AccessAudit.objects.filter(order_external_id="retry-probe").count(),
    }


def page_views_beside_an_import(cookie: str) -> dict:
    documents = [order_document(n, shipped=True) for n in range(IMPORTED)]
    writing = threading.Event()
    real_write_some = imports._write_some

    def write_some(*args, **kwargs):
        writing.set()
        return real_write_some(*args, **kwargs)

    imports._write_some = write_some
    outcome: dict = {}

    def run_import() -> None:
        try:
            outcome["summary"] = services.orders_import(documents=documents).summary()
        finally:
            writing.set()
            connection.close()

    statuses: list[int] = []

    def view_pages(thread: int) -> None:
        client = Client()
        client.cookies["sessionid"] = cookie
        writing.wait()
        try:
            for n in range(VIEWS_PER_THREAD):
                response = client.get(PAGE, HTTP_X_REQUEST_ID=f"load-{thread}-{n}")
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_import)]
    threads += [threading.Thread(target=view_pages, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    imports._write_some = real_write_some
    rows = AccessAudit.objects.filter(request_id__startswith="load-")
    return {
        "page_views": len(statuses),
        "statuses": sorted(set(statuses)),
        "audit_rows": rows.count(),
        "distinct_request_ids": rows.values("request_id").distinct().count(),
        "import": outcome.get("summary"),
        "imported_orders": Order.objects.filter(external_id__startswith="bench-order-").count(),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {seed(customers=2)}"}
    user = User.objects.create_user("probe-agent")
    user.groups.add(Group.objects.get(name="Agents"))
    agent = Client()
    agent.force_login(user)
    cookie = agent.cookies[settings.SESSION_COOKIE_NAME].value

    results = {"options": options(), "reads_while_locked": reads_while_locked(auth, agent, cookie)}
    results["retry_on_locked"] = retry_on_locked()
    results["page_views_beside_an_import"] = page_views_beside_an_import(cookie)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
