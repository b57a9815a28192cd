"""Order-read throughput against a bare Django view, served by the same gunicorn.

    .venv/bin/python bench/perf.py                       # 10,000 orders on SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ercdash_bench \\
        .venv/bin/python bench/perf.py --orders 1000000  # 1,000,000 orders on PostgreSQL

Builds the dataset once (bulk inserts; reused while the order count matches), starts gunicorn
with production settings (sync workers = cores; bench/wsgi.py adds one bare Django JSON view),
then runs wrk in turn against the bare view, the seed order endpoint and /healthz (A B C A B C
…), and prints requests/s, p50, p99, the gunicorn workers' CPU time per request, the median
ratio and SQL queries per request. The goal's reference is the bare view, which passes through
the same middleware as the API; /healthz is answered by a middleware before most of the stack,
so the ratio against it is the stricter one. Not part of the test suite: timing on a shared
machine is only meaningful as a ratio within one run.
"""

from __future__ import annotations

import argparse
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


def agent_page_timing(samples: int = 30) -> tuple[float, int]:
    """Median server time (ms) and queries of the console order page for 50 status events."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders import services
    from orders.models import Order, StatusEvent

    order = Order.objects.select_related("customer").get(external_id="order123")
    if order.status_events.count() != 50:
        order.status_events.all().delete()
        StatusEvent.objects.bulk_create(
            StatusEvent(
                order=order,
                generic_type=("CONFIRMED", "ON_ITS_WAY", "OUT_FOR_DELIVERY")[min(n // 17, 2)],
                detailed_type=("CONFIRMED", "IN_TRANSIT", "ATTEMPTED_DELIVERY")[min(n // 17, 2)],
                status_date_time=order.purchase_datetime + timedelta(hours=n),
                description=f"Scan {n} at hub",
            )
            for n in range(50)
        )
        services.order_refresh(order=order)
    agent, _ = User.objects.get_or_create(username="bench-agent")
    agent.groups.add(Group.objects.get(name="Agents"))
    client = Client()
    client.force_login(agent)
    path = f"/agent/customers/{order.customer.external_id}/orders/{order.external_id}"
    client.get(path)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return statistics.median(timings), len(queries)


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


def wrk(url: str, *, script: Path | None, duration: int, connections: int) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
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


def measured(server: subprocess.Popen, url: str, *, script: Path | None, args) -> dict:
    before = workers_cpu_seconds(server)
    run = wrk(url, script=script, duration=args.duration, connections=args.connections)
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
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    DATA.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA}/bench-{args.orders}.sqlite3"
    env = configure(database_url)
    build_dataset(args.orders)
    order_path = "/erc/ecommerce/customers/customer123/orders/order123"
    queries = queries_per_request(order_path)
    page_ms, page_queries = agent_page_timing()

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

    port = free_port()
    server = start_gunicorn(env, port)
    base = f"http://127.0.0.1:{port}"
    targets = {  # name -> (url, wrk script)
        "bare Django JSON view": (f"{base}/{BARE_PATH}", None),
        "order read": (base, lua),
        "/healthz (middleware probe)": (f"{base}/healthz", None),
    }
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    try:
        for url, script in targets.values():  # warm up
            wrk(url, script=script, duration=3, connections=args.connections)
        for _ in range(args.rounds):
            for name, (url, script) in targets.items():
                runs[name].append(measured(server, url, script=script, args=args))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

    def median(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    def ratios(reference: str) -> list[float]:
        return [
            order["rps"] / ref["rps"]
            for ref, order in zip(runs[reference], runs["order read"], strict=True)
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
    for reference in ("bare Django JSON view", "/healthz (middleware probe)"):
        each = ratios(reference)
        print(
            f"ratio order / {reference}, median of {args.rounds}: "
            f"{statistics.median(each):.2f} (runs: {', '.join(f'{r:.2f}' for r in each)})"
        )
    print(f"SQL queries per order read: {queries}")
    print(
        f"agent order page, 50 status events: {page_ms:.1f} ms median server time "
        f"(in-process, 30 requests), {page_queries} SQL queries"
    )


if __name__ == "__main__":
    main()
