"""Order-read throughput against a bare Django view, served by the same gunicorn.

    .venv/bin/python bench/perf.py                       # 10,000 orders on SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ercdash_bench \\
        .venv/bin/python bench/perf.py --orders 1000000  # 1,000,000 orders on PostgreSQL

Builds the dataset once (bulk inserts; reused while the order count matches), gives order123
50 status events, 10 items and 5 parcels, starts gunicorn with production settings (sync
workers = cores; bench/wsgi.py adds one bare Django JSON view), then runs wrk in turn against
the bare view, the seed order endpoint, the console's order page and its unchanged-timeline
poll (a signed-in agent's cookies) and /healthz (A B C D E A B C D E …), and prints requests/s,
p50, p99, the gunicorn workers' CPU time per request, the median ratios, SQL queries per
request, and whether every page view answered left its audit row. The API's reference is the
bare view, which passes through the middleware of the API's other operations (the order
read skips most of it); /healthz is answered by a middleware before most of the stack, so
the ratio against it is the stricter one. Not part of
the test suite: timing on a shared machine is only meaningful as a ratio within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
TOKEN = "bench-token-0123456789abcdefghijklmnopqrstuvwxyz"
READ = "erc-ecommerce-customers:read"
BARE_PATH = "erc/ecommerce/bench/bare"  # served by bench/wsgi.py


def configure(database_url: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "ercdash.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "ERCDASH_SSL_REDIRECT": "0",
        "ERCDASH_STATIC_MANIFEST": "0",
        "ERCDASH_RATE_LIMIT": "100000000/min",
        # Production logging: one JSON access line per API request, to a file here.
        "LOG_LEVEL": "INFO",
        "DATABASE_PREPARED_STATEMENTS": os.environ.get("DATABASE_PREPARED_STATEMENTS", "1"),
    }
    os.environ.update(env)
    # The build's bulk inserts carry tens of thousands of parameters per statement, which
    # PostgreSQL binds several times slower server-side; gunicorn keeps the production
    # setting (env above), which prepares the small statement the read repeats.
    os.environ["DATABASE_PREPARED_STATEMENTS"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


def build_dataset(orders: int) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from orders.models import Address, Customer, Order, OrderItem, StatusEvent
    from orders.services import render_document

    call_command("migrate", verbosity=0)
    if Order.objects.count() != orders:
        print(f"building {orders:,} orders ...", flush=True)
        started = time.perf_counter()
        with transaction.atomic():
            StatusEvent.objects.all().delete()
            OrderItem.objects.all().delete()
            Order.objects.all().delete()
            Address.objects.all().delete()
            Customer.objects.all().delete()
        per_customer = 10
        batch = 5000
        base = datetime(2024, 1, 1, tzinfo=UTC)
        for start in range(0, orders, batch):
            stop = min(start + batch, orders)
            customer_ids = range(start // per_customer, (stop - 1) // per_customer + 1)
            with transaction.atomic():
                customers = Customer.objects.bulk_create(
                    Customer(
                        external_id="customer123" if n == 0 else f"customer{n:07d}",
                        first_name="John",
                        last_name=f"Doe {n}",
                        email=f"c{n}@example.com",
                        phone_number=f"+3519{n:08d}",
                    )
                    for n in customer_ids
                )
                by_number = dict(zip(customer_ids, customers, strict=True))
                addresses = Address.objects.bulk_create(
                    Address(
                        customer=customer,
                        external_id=f"address{n}",
                        first_name="John",
                        last_name="Doe",
                        phone_number="+351910000000",
                        address="Rua Augusta 1",
                        zip_code="1100-048",
                        city="Lisbon",
                        region_code="PT-11",
                        country_code="PT",
                        is_default=True,
                    )
                    for n, customer in by_number.items()
                )
                address_of = dict(zip(customer_ids, addresses, strict=True))
                new_orders = []
                for n in range(start, stop):
                    customer_n = n // per_customer
                    at = base + timedelta(minutes=n)
                    order = Order(
                        external_id="order123" if n == 0 else f"order{n:07d}",
                        customer=by_number[customer_n],
                        order_number="#Y34DHR" if n == 0 else f"#{n:07d}",
                        purchase_datetime=at,
                        delivery_type="SHIPPING",
                        shipping_address=address_of[customer_n],
                        billing_address=address_of[customer_n],
                        currency="EUR",
                        original_total_amount=Decimal("10.50"),
                        discounts_amount=Decimal("0"),
                        shipping_amount=Decimal("3.99"),
                        taxes_amount=Decimal("2.42"),
                        final_total_amount=Decimal("16.91"),
                        card_brand="Visa",
                        card_last4="4567",
                        is_refunded=False,
                        derived_items_quantity=3,
                        derived_top_item_image_url="https://img.example.com/a.jpg",
                        latest_generic_type="ON_ITS_WAY",
                        latest_detailed_type="IN_TRANSIT",
                        latest_status_at=at + timedelta(days=1),
                    )
                    order.document = render_document(order)
                    new_orders.append(order)
                created = Order.objects.bulk_create(new_orders)
                OrderItem.objects.bulk_create(
                    OrderItem(
                        order=order,
                        external_id=f"item{k}",
                        position=k,
                        name=f"Item {k}",
                        sku=f"SKU-{k}",
                        quantity=k + 1,
                        price=Decimal("3.50"),
                        currency="EUR",
                        image_url="https://img.example.com/a.jpg",
                    )
                    for order in created
                    for k in range(2)
                )
                StatusEvent.objects.bulk_create(
                    StatusEvent(
                        order=order,
                        generic_type=generic,
                        detailed_type=detailed,
                        status_date_time=order.purchase_datetime + timedelta(hours=hours),
                    )
                    for order in created
                    for generic, detailed, hours in (
                        ("CONFIRMED", "CONFIRMED", 1),
                        ("ON_ITS_WAY", "IN_TRANSIT", 24),
                    )
                )
            print(f"  {stop:,} orders", end="\r", flush=True)
        print(f"built in {time.perf_counter() - started:.0f} s          ", flush=True)

    application, _ = Application.objects.get_or_create(
        name="bench",
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
        },
    )
    AccessToken.objects.filter(application=application).delete()
    AccessToken.objects.create(
        application=application,
        token=TOKEN,
        expires=timezone.now() + timedelta(days=1),
        scope=READ,
    )


def queries_per_request(order_path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(order_path, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(order_path, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return len(queries)


CONSOLE_EVENTS, CONSOLE_ITEMS, CONSOLE_PARCELS = 50, 10, 5


def console_order() -> str:
    """Give order123 50 status events, 10 items and 5 parcels (each with lines and its own
    history), as the console goal describes; returns the order page's path."""
    from orders import services
    from orders.models import Order, OrderItem, Shipment, ShipmentEvent, ShipmentItem, StatusEvent

    order = Order.objects.select_related("customer", "shipping_address", "billing_address").get(
        external_id="order123"
    )
    shape = (order.status_events.count(), order.items.count(), order.shipments.count())
    if shape != (CONSOLE_EVENTS, CONSOLE_ITEMS, CONSOLE_PARCELS):
        order.shipments.all().delete()
        order.status_events.all().delete()
        order.items.all().delete()
        StatusEvent.objects.bulk_create(
            StatusEvent(
                order=order,
                generic_type=("CONFIRMED", "ON_ITS_WAY", "OUT_FOR_DELIVERY")[min(n // 17, 2)],
                detailed_type=("CONFIRMED", "IN_TRANSIT", "ATTEMPTED_DELIVERY")[min(n // 17, 2)],
                status_date_time=order.purchase_datetime + timedelta(hours=n),
                description=f"Scan {n} at hub",
            )
            for n in range(CONSOLE_EVENTS)
        )
        items = OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                external_id=f"item{k}",
                position=k,
                name=f"Item {k}",
                sku=f"SKU-{k}",
                quantity=2,
                price=Decimal("3.50"),
                currency="EUR",
                image_url="https://img.example.com/a.jpg",
            )
            for k in range(CONSOLE_ITEMS)
        )
        for p in range(CONSOLE_PARCELS):
            shipment = Shipment.objects.create(
                order=order,
                external_id=f"parcel{p}",
                position=p,
                carrier="UPS",
                tracking_number=f"1Z999AA1012345678{p}",
                service_level="UPS Standard",
                shipping_date=order.purchase_datetime + timedelta(days=1),
                delivery_date_start=order.purchase_datetime + timedelta(days=3, hours=9),
                delivery_date_end=order.purchase_datetime + timedelta(days=3, hours=18),
            )
            ShipmentItem.objects.bulk_create(
                ShipmentItem(shipment=shipment, item=item, quantity=1)
                for item in items[2 * p : 2 * p + 2]
            )
            ShipmentEvent.objects.bulk_create(
                ShipmentEvent(
                    shipment=shipment,
                    detailed_type=detailed,
                    status_date_time=order.purchase_datetime + timedelta(days=1, hours=h),
                    location="Lisbon hub",
                )
                for h, detailed in enumerate(("CONFIRMED", "IN_TRANSIT", "OUT_FOR_DELIVERY"))
            )
        services.order_refresh(order=order)
    return f"/agent/customers/{order.customer.external_id}/orders/{order.external_id}"


def agent_session(page: str) -> dict[str, str]:
    """A signed-in agent's cookies (session and CSRF), as a browser would send them back."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    agent, _ = User.objects.get_or_create(username="bench-agent")
    agent.groups.add(Group.objects.get(name="Agents"))
    client = Client()
    client.force_login(agent)
    assert client.get(page).status_code == 200
    return {name: morsel.value for name, morsel in client.cookies.items()}


def agent_page_timing(page: str, samples: int = 30) -> tuple[float, int, int]:
    """Median in-process server time (ms) of the console order page, and the SQL queries
    of one page and of one unchanged-timeline poll."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(username="bench-agent"))
    client.get(page)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(page)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(page)
    poll_path = timeline_poll_path(page)
    with CaptureQueriesContext(connection) as poll:
        response = client.get(poll_path, HTTP_HX_REQUEST="true")
        assert response.status_code == 204, response.status_code
    return statistics.median(timings), len(queries), len(poll)


def timeline_poll_path(page: str) -> str:
    """The page's timeline refresh as the browser sends it when nothing changed."""
    from orders.console.presenters import timeline_version
    from orders.models import Order

    order_id = page.rsplit("/", 1)[1]
    return f"{page}?v={timeline_version(Order.objects.get(external_id=order_id))}"


def audit_rows() -> int:
    from orders.models import AccessAudit

    return AccessAudit.objects.filter(action=AccessAudit.Action.VIEW_ORDER).count()


def page_views_logged(page: str) -> int:
    """Console order pages the server answered with 200, from its JSON access log."""
    count = 0
    for line in (DATA / "gunicorn.log").read_text().splitlines():
        if line.startswith("{") and '"ercdash.access"' in line:
            entry = json.loads(line)
            count += entry.get("path") == page and entry.get("status") == 200
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    workers = str(os.cpu_count() or 2)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            # The production gunicorn config (sync workers, gc.freeze, JSON logs), with the
            # bench's app, port, worker count and log level given below, and no worker
            # recycling: at these rates it would restart each worker every few seconds (a
            # safety valve against leaks, not steady state) and reset its CPU counters.
            "--config",
            str(ROOT / "ercdash" / "gunicorn.conf.py"),
            "bench.wsgi",
            "--max-requests",
            "0",
            "--workers",
            workers,
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, **env},
        stderr=(DATA / "gunicorn.log").open("w"),
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def wrk(
    url: str,
    *,
    script: Path | None,
    duration: int,
    connections: int,
    headers: tuple[str, ...] = (),
) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": to_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": to_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else "",
    }


def workers_cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU time of the gunicorn workers (children of the master), Linux only."""
    children = subprocess.run(
        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    ticks = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measured(
    server: subprocess.Popen, url: str, *, script: Path | None, headers: tuple[str, ...], args
) -> dict:
    before = workers_cpu_seconds(server)
    run = wrk(
        url, script=script, duration=args.duration, connections=args.connections, headers=headers
    )
    requests = run["rps"] * args.duration
    run["cpu_us"] = (workers_cpu_seconds(server) - before) / requests * 1e6 if requests else 0
    return run


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--skip-console", action="store_true", help="measure the API read and references only"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    DATA.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA}/bench-{args.orders}.sqlite3"
    env = configure(database_url)
    build_dataset(args.orders)
    order_path = "/erc/ecommerce/customers/customer123/orders/order123"
    queries = queries_per_request(order_path)
    page = console_order()
    cookies = agent_session(page)
    page_ms, page_queries, poll_queries = agent_page_timing(page)
    poll = timeline_poll_path(page)

    # Spread reads over 1,000 orders so the index, not one hot row, is measured.
    ids = [(n // 10, n) for n in range(0, args.orders, max(1, args.orders // 1000))]
    paths = [
        "/erc/ecommerce/customers/"
        + ("customer123" if c == 0 else f"customer{c:07d}")
        + "/orders/"
        + ("order123" if o == 0 else f"order{o:07d}")
        for c, o in ids
    ]
    lua = DATA / "orders.lua"
    lua.write_text(
        "local paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
        f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n'
        "local i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        "  return wrk.format(nil, paths[i])\nend\n"
    )

    audit_rows_before = audit_rows()
    port = free_port()
    server = start_gunicorn(env, port)
    base = f"http://127.0.0.1:{port}"
    # The agent's browser: its session and CSRF cookies on every request; the poll is the
    # timeline's own htmx request carrying the version it already shows.
    cookie = "Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items())
    targets = {  # name -> (url, wrk script, headers)
        "bare Django JSON view": (f"{base}/{BARE_PATH}", None, ()),
        "order read": (base, lua, ()),
        "console order page": (f"{base}{page}", None, (cookie,)),
        "timeline poll (204)": (f"{base}{poll}", None, (cookie, "HX-Request: true")),
        "/healthz (middleware probe)": (f"{base}/healthz", None, ()),
    }
    if args.skip_console:
        del targets["console order page"], targets["timeline poll (204)"]
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    try:
        for url, script, headers in targets.values():  # warm up
            wrk(url, script=script, duration=3, connections=args.connections, headers=headers)
        for _ in range(args.rounds):
            for name, (url, script, headers) in targets.items():
                runs[name].append(measured(server, url, script=script, headers=headers, args=args))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

    # Every page view the server answered left its audit row (written after the response,
    # finished by the workers' graceful stop); the unchanged polls (204) show nothing.
    pages_served = page_views_logged(page)
    audit_written = audit_rows() - audit_rows_before

    def median(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    def ratios(name: str, reference: str) -> list[float]:
        return [
            run["rps"] / ref["rps"] for ref, run in zip(runs[reference], runs[name], strict=True)
        ]

    vendor = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(
        f"\n{args.orders:,} orders on {vendor}, gunicorn {os.cpu_count()} sync workers, "
        f"wrk -c{args.connections}, {args.rounds} x {args.duration}s in turn\n"
    )
    print("| endpoint | req/s (median) | p50 ms | p99 ms | worker CPU µs/request | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in targets:
        print(
            f"| {name} | {median(name, 'rps'):,.0f} | {median(name, 'p50'):.2f} "
            f"| {median(name, 'p99'):.2f} | {median(name, 'cpu_us'):,.0f} "
            f"| {sum(r['errors'] for r in runs[name])} |"
        )
    print()
    healthz = "/healthz (middleware probe)"
    comparisons = [("order read", "bare Django JSON view")] + [
        (name, healthz) for name in targets if name != healthz
    ]
    for name, reference in comparisons:
        each = ratios(name, reference)
        print(
            f"ratio {name} / {reference}, median of {args.rounds}: "
            f"{statistics.median(each):.3f} (runs: {', '.join(f'{r:.3f}' for r in each)})"
        )
    print(
        f"console order pages answered 200 (access log): {pages_served:,}; audit rows written: "
        f"{audit_written:,} ({'every one' if audit_written == pages_served else 'MISMATCH'})"
    )
    print(f"SQL queries per order read: {queries}")
    print(
        f"console order page ({CONSOLE_EVENTS} status events, {CONSOLE_ITEMS} items, "
        f"{CONSOLE_PARCELS} parcels): {page_ms:.1f} ms median server time in-process "
        f"(30 requests), {page_queries} SQL queries; unchanged-timeline poll: "
        f"{poll_queries} SQL queries"
    )


if __name__ == "__main__":
    main()
