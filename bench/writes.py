"""Reads beside writes: steady reads on the API and the console while orders are written.

    .venv/bin/python bench/writes.py                              # SQLite, the embedded default
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ercdash_bench \\
        REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/writes.py   # PostgreSQL

Each round builds a fresh database (`--orders` orders imported through `import_orders`, an API
client, an agent signed in), starts gunicorn with production settings and `--workers` sync
workers, then sends reads at fixed rates over keep-alive connections (four per endpoint):

- the API order read (`GET /erc/ecommerce/customers/{c}/orders/{o}`),
- the console order page (`GET /agent/customers/{c}/orders/{o}`, which writes an audit row),
- the timeline poll (the same URL with `HX-Request` and the version of the last timeline it got).

For `--quiet` seconds the reads run alone; then the writers start and the reads go on until
the bulk import has finished. Writers:

- the bulk import: `manage.py import_orders` of `--import` documents, a third of them updates
  of orders the readers are reading;
- a trickle of API cancels (`--cancel-rate` per second, each with an Idempotency-Key);
- the Shopify webhook stream (`--webhook-rate` deliveries per second, 0 for none): signed
  `orders/create` + `fulfillments/create` pairs, applied by a `db_worker` beside gunicorn.

`--webhooks` runs the webhook intake alone instead: signed pairs at rising rates
(`--webhook-rates`, `--step-seconds` each) against gunicorn and one `db_worker`, reporting per
rate the deliveries per second accepted (answered 200) and applied, and the answer times.

Reported per phase and endpoint: requests, errors (connection errors and unexpected statuses),
timeouts (no answer within `--timeout` seconds), p50, p99 and max latency (from the moment the
request was sent); the writers' outcome; and whether every console page view that was answered
left exactly one audit row. Medians over `--rounds` rounds. Not part of the test suite: timing
on a shared machine is only meaningful within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
TOKEN = "bench-writes-token-0123456789abcdefghijklmnopqrstuvwxyz"
AGENT = "bench-agent"
ENDPOINTS = ("api order", "console page", "timeline poll")
OK_STATUSES = {"api order": {200}, "console page": {200}, "timeline poll": {200, 204}}


def configure() -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "ercdash.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "ERCDASH_SSL_REDIRECT": "0",
        "ERCDASH_SECURE_COOKIES": "0",
        "ERCDASH_STATIC_MANIFEST": "0",
        "ERCDASH_RATE_LIMIT": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


# --- Data ------------------------------------------------------------------------------------


def at(minutes: int) -> str:
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def order_document(n: int, *, shipped: bool, extra_event: bool = False) -> dict:
    """Order n of customer n // 2, in the import format; shipped orders cannot be canceled."""
    customer_id = f"bench-customer-{n // 2:05d}"
    address = {
        "id": f"home-{n // 2}",
        "first_name": "Maria",
        "last_name": f"Silva {n // 2}",
        "phone_number": "+351910000000",
        "address": "Rua Augusta 1",
        "zip_code": "1100-048",
        "city": "Lisbon",
        "region_code": "PT-11",
        "country_code": "PT",
        "default": True,
    }
    history = [
        {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED", "status_date_time": at(n)}
    ]
    if shipped:
        history.append(
            {
                "generic_type": "ON_ITS_WAY",
                "detailed_type": "IN_TRANSIT",
                "status_date_time": at(n + 60),
            }
        )
    if extra_event:
        history.append(
            {
                "generic_type": "OUT_FOR_DELIVERY",
                "detailed_type": "OUT_FOR_DELIVERY",
                "status_date_time": at(n + 120),
                "description": "With the courier",
            }
        )
    eur = lambda value: {"value": value, "currency": "EUR"}  # noqa: E731
    return {
        "id": f"bench-order-{n:05d}",
        "order_number": f"#B{n:05d}",
        "customer_id": customer_id,
        "purchase_datetime": at(n),
        "delivery_type": "SHIPPING",
        "shipping_address": address,
        "billing_address": address,
        "price_summary": {
            "original_total_amount": eur(10.5),
            "discounts_amount": eur(0),
            "shipping_amount": eur(3.99),
            "taxes_amount": eur(2.42),
            "final_total_amount": eur(16.91),
        },
        "payment_details": {"card_brand": "Visa", "card_number": "**** **** **** 4567"},
        "customer": {
            "id": customer_id,
            "first_name": "Maria",
            "last_name": f"Silva {n // 2}",
            "email": f"maria{n // 2}@example.com",
            "phone_number": "+351910000000",
        },
        "items": [
            {
                "id": f"item{k}",
                "name": f"Item {k}",
                "sku": f"SKU-{k}",
                "quantity": 1 + k,
                "price": eur(3.5),
                "image_url": f"https://shop.example.com/item{k}.jpg",
            }
            for k in range(2)
        ],
        "status_history": history,
    }


def write_jsonl(path: Path, documents: list[dict]) -> Path:
    path.write_text("".join(json.dumps(document) + "\n" for document in documents))
    return path


@dataclass
class Dataset:
    read_targets: list[tuple[str, str, str]]  # (customer id, order id, timeline version)
    cancel_targets: list[tuple[str, str]]
    session_cookie: str
    import_file: Path


def fresh_database(database_url: str) -> None:
    from django.db import connections

    connections.close_all()
    if database_url.startswith("sqlite"):
        path = Path(urlsplit(database_url).path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(orders: int, imports: int) -> Dataset:
    """A fresh dataset: orders (the last fifth still cancellable), a client, a signed-in agent."""
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from orders.console.presenters import timeline_version
    from orders.models import Order

    call_command("migrate", verbosity=0)
    cancellable = set(range(orders - orders // 5, orders))
    seed = [order_document(n, shipped=n not in cancellable) for n in range(orders)]
    with open(os.devnull, "w") as quiet:
        call_command(
            "import_orders", str(write_jsonl(DATA / "writes-seed.jsonl", seed)), stdout=quiet
        )

    # The import: a third updates shipped orders the readers read (one more event each), the
    # rest are new orders of new customers.
    updates = [n for n in range(orders) if n not in cancellable][: imports // 3]
    documents = [order_document(n, shipped=True, extra_event=True) for n in updates]
    documents += [order_document(orders + k, shipped=True) for k in range(imports - len(updates))]
    random.Random(7).shuffle(documents)
    import_file = write_jsonl(DATA / "writes-import.jsonl", documents)

    application = Application.objects.create(
        name="bench",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    AccessToken.objects.create(
        application=application,
        token=TOKEN,
        expires=timezone.now() + timedelta(days=1),
        scope=f"{settings.SCOPE_READ} {settings.SCOPE_WRITE}",
    )
    agent = User.objects.create_user(AGENT)
    agent.groups.add(Group.objects.get(name="Agents"))
    client = Client()
    client.force_login(agent)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    loaded = Order.objects.select_related("customer").order_by("external_id")
    read_targets = [
        (order.customer.external_id, order.external_id, timeline_version(order))
        for order in loaded
        if int(order.external_id.rsplit("-", 1)[1]) not in cancellable
    ]
    cancel_targets = [
        (f"bench-customer-{n // 2:05d}", f"bench-order-{n:05d}") for n in sorted(cancellable)
    ]
    return Dataset(read_targets, cancel_targets, session_cookie, import_file)


# --- Load ------------------------------------------------------------------------------------


@dataclass
class Sample:
    endpoint: str
    phase: str
    latency_ms: float
    outcome: str  # ok, error, timeout
    status: int = 0


@dataclass
class Run:
    phase: str = "warm-up"
    stop: threading.Event = field(default_factory=threading.Event)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def requester(
    run: Run,
    port: int,
    endpoint: str,
    requests: list[tuple[str, str, dict[str, str]]],
    interval: float,
    offset: float,
    timeout: float,
) -> None:
    """One keep-alive connection sending a request every `interval` seconds until stopped.

    A connection still waiting for a slow answer sends its next request as soon as that one
    is answered (no burst to catch up); latency runs from the moment a request is sent. Like
    a browser, a timeline poll sends the version (ETag) of the last timeline it received.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    versions: dict[str, str] = {}
    position = random.Random(offset).randrange(len(requests))
    next_at = time.monotonic() + offset
    while not run.stop.is_set():
        delay = next_at - time.monotonic()
        if delay > 0 and run.stop.wait(delay):
            break
        method, path, headers = requests[position % len(requests)]
        position += 1
        page, _, version = path.partition("?v=")
        if version:
            path = f"{page}?v={versions.get(page, version)}"
        phase = run.phase
        started = time.monotonic()
        status, outcome = 0, "error"
        try:
            conn.request(
                method,
                path,
                body=b'{"cancel_reason": "OTHER"}' if method == "POST" else None,
                headers=headers,
            )
            response = conn.getresponse()
            response.read()
            status = response.status
            if version and response.getheader("ETag"):
                versions[page] = response.getheader("ETag").strip('"')
            outcome = "ok" if status in OK_STATUSES.get(endpoint, {200}) else "error"
        except TimeoutError:
            outcome = "timeout"
            conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
        run.record(Sample(endpoint, phase, (time.monotonic() - started) * 1000, outcome, status))
        next_at = max(next_at + interval, time.monotonic())


def read_requests(dataset: Dataset) -> dict[str, list[tuple[str, str, dict[str, str]]]]:
    api = {"Authorization": f"Bearer {TOKEN}"}
    agent = {"Cookie": f"sessionid={dataset.session_cookie}"}
    poll = {**agent, "HX-Request": "true", "HX-Current-URL": "http://127.0.0.1/agent/"}
    requests: dict[str, list] = {endpoint: [] for endpoint in ENDPOINTS}
    for customer_id, order_id, version in dataset.read_targets:
        page = f"/agent/customers/{customer_id}/orders/{order_id}"
        requests["api order"].append(
            ("GET", f"/erc/ecommerce/customers/{customer_id}/orders/{order_id}", api)
        )
        requests["console page"].append(("GET", page, agent))
        requests["timeline poll"].append(("GET", f"{page}?v={version}", poll))
    return requests


def cancel_requests(dataset: Dataset) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (
            "POST",
            f"/erc/ecommerce/customers/{customer_id}/orders/{order_id}/cancel",
            {
                "Authorization": f"Bearer {TOKEN}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{order_id}",
            },
        )
        for customer_id, order_id in dataset.cancel_targets
    ]


# --- Shopify webhooks ------------------------------------------------------------------------

SHOP = "bench-shop.myshopify.com"
SHOP_SECRET = "bench-shopify-webhook-secret-0123456789"
WEBHOOKS = "/integrations/shopify/webhooks"


def shopify_order(n: int) -> dict:
    """Shopify order n, as its orders/create webhook carries it."""
    created = at(n)
    return {
        "id": 7_000_000_000 + n,
        "name": f"#S{n:06d}",
        "currency": "EUR",
        "created_at": created,
        "updated_at": created,
        "email": f"cliente{n}@example.com",
        "financial_status": "paid",
        "customer": {
            "id": 6_000_000_000 + n // 2,
            "first_name": "Maria",
            "last_name": f"Silva {n // 2}",
            "email": f"cliente{n}@example.com",
        },
        "total_line_items_price": "39.81",
        "total_discounts": "0.00",
        "total_tax": "7.44",
        "total_price": "43.80",
        "shipping_lines": [{"id": 1, "title": "CTT Expresso", "price": "3.99"}],
        "line_items": [
            {"id": 9_000_000_000 + 2 * n + k, "title": f"Item {k}", "sku": f"SKU-{k}",
             "quantity": 1 + k, "price": "13.27"}
            for k in range(2)
        ],
        "shipping_address": {
            "first_name": "Maria",
            "last_name": f"Silva {n // 2}",
            "address1": "Rua Augusta 1",
            "city": "Lisboa",
            "zip": "1100-048",
            "country_code": "PT",
            "province_code": "11",
            "phone": "+351 910 000 000",
        },
        "fulfillments": [],
        "refunds": [],
    }  # fmt: skip


def shopify_fulfillment(n: int) -> dict:
    order = shopify_order(n)
    return {
        "id": 5_000_000_000 + n,
        "order_id": order["id"],
        "status": "success",
        "created_at": at(n + 60),
        "updated_at": at(n + 60),
        "tracking_company": "UPS",
        "tracking_number": f"1Z999AA1{n:010d}",
        "tracking_numbers": [f"1Z999AA1{n:010d}"],
        "shipment_status": "in_transit",
        "line_items": [
            {"id": item["id"], "quantity": item["quantity"]} for item in order["line_items"]
        ],
    }


def shopify_deliveries(first: int, pairs: int) -> list[tuple[str, str, dict[str, str], bytes]]:
    """Signed orders/create + fulfillments/create pairs for orders first..first+pairs-1."""
    from orders.integrations.shopify.signing import sign

    deliveries = []
    for n in range(first, first + pairs):
        for topic, payload in (
            ("orders/create", shopify_order(n)),
            ("fulfillments/create", shopify_fulfillment(n)),
        ):
            body = json.dumps(payload).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Shop-Domain": SHOP,
                "X-Shopify-Webhook-Id": f"bench-{topic}-{n}",
                "X-Shopify-Hmac-Sha256": sign(body=body, secret=SHOP_SECRET),
            }
            deliveries.append(("POST", WEBHOOKS, headers, body))
    return deliveries


def sender(run: Run, port: int, queue: list, interval: float, offset: float, timeout: float):
    """One keep-alive connection posting the next delivery of the shared queue every
    `interval` seconds (as soon as the last is answered when slower), until the queue is
    empty or the run stops."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    next_at = time.monotonic() + offset
    while not run.stop.is_set():
        delay = next_at - time.monotonic()
        if delay > 0 and run.stop.wait(delay):
            break
        with run.lock:
            if not queue:
                break
            method, path, headers, body = queue.pop(0)
        phase = run.phase
        started = time.monotonic()
        status, outcome = 0, "error"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            outcome = "ok" if status == 200 else "error"
        except TimeoutError:
            outcome = "timeout"
            conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
        run.record(
            Sample("shopify webhooks", phase, (time.monotonic() - started) * 1000, outcome, status)
        )
        next_at = max(next_at + interval, time.monotonic())


def send_deliveries(
    run: Run, port: int, queue: list, rate: float, connections: int, timeout: float
):
    threads = []
    for k in range(connections):
        interval = connections / rate
        thread = threading.Thread(
            target=sender,
            args=(run, port, queue, interval, k * interval / connections, timeout),
            daemon=True,
        )
        threads.append(thread)
        thread.start()
    return threads


def start_worker(env: dict[str, str], name: str = "writes-worker") -> subprocess.Popen:
    """`manage.py db_worker`, as production runs it beside gunicorn."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.05", "--no-startup-delay",
         "--no-reload", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        stderr=(DATA / f"{name}.log").open("w"),
        start_new_session=True,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)


def shopify_store() -> None:
    from orders.models import ShopifyStore
    from orders.services import shopify

    if not ShopifyStore.objects.filter(domain=SHOP).exists():
        shopify.store_register(domain=SHOP, brand="Bench Shop", secret=SHOP_SECRET)


def shopify_webhook_stream(run: Run, port: int, rate: float, first: int = 0) -> list:
    """The Shopify webhook stream beside the other writers: signed orders/create +
    fulfillments/create pairs posted at `rate` deliveries per second (two connections) until
    the run stops; recorded as the "shopify webhooks" endpoint. The caller runs a db_worker."""
    if rate <= 0:
        return []
    shopify_store()
    queue = shopify_deliveries(first, pairs=int(rate * 600) // 2 + 1)
    return send_deliveries(run, port, queue, rate, connections=2, timeout=5)


def webhook_outcomes() -> dict[str, int]:
    from django.db.models import Count

    from orders.models import WebhookDelivery

    return dict(WebhookDelivery.objects.values_list("outcome").annotate(n=Count("id")))


def settle(deadline: float) -> None:
    """Wait (until `deadline`) for the worker to apply every delivery received."""
    from orders.models import WebhookDelivery

    while (
        time.monotonic() < deadline and WebhookDelivery.objects.filter(outcome="received").exists()
    ):
        time.sleep(0.2)


def applied_by(started_at: datetime, ids: list[str], deadline: float) -> dict:
    """Wait (until `deadline`) for the worker to settle these deliveries; what came of them."""
    from django.db.models import Count, Max

    from orders.models import WebhookDelivery

    deliveries = WebhookDelivery.objects.filter(webhook_id__in=ids)
    while time.monotonic() < deadline and deliveries.filter(outcome="received").exists():
        time.sleep(0.2)
    # A fulfillment that came before its order waits, and counts once the order is applied.
    while time.monotonic() < deadline and deliveries.filter(outcome="waiting").exists():
        time.sleep(0.2)
    outcomes = dict(deliveries.values_list("outcome").annotate(n=Count("id")))
    last = deliveries.filter(outcome="applied").aggregate(last=Max("applied_at"))["last"]
    return {"outcomes": outcomes, "last_applied": last}


def webhook_intake(args, env: dict[str, str], database_url: str) -> list[dict]:
    """Signed pairs at rising rates against gunicorn + one db_worker: per step, deliveries/s
    accepted (answered 200) and applied (by the worker, until the step's last one), and the
    p50/p99 answer times."""
    from django.core.management import call_command
    from django.utils import timezone

    fresh_database(database_url)
    call_command("migrate", verbosity=0)
    shopify_store()
    env = {**env, "ERCDASH_TASKS_BACKEND": "database"}
    server = start_gunicorn(env, args.port, args.workers)
    worker = start_worker(env, "webhooks-worker")
    steps = []
    first = 0
    try:
        for rate in args.webhook_rates:
            pairs = int(rate * args.step_seconds) // 2 + 1
            queue = shopify_deliveries(first, pairs)
            ids = [headers["X-Shopify-Webhook-Id"] for _, _, headers, _ in queue]
            first += pairs
            run = Run(phase=f"{rate:g}/s")
            started_at, started = timezone.now(), time.monotonic()
            threads = send_deliveries(run, args.port, queue, rate, args.webhook_connections, 5)
            # A step lasts --step-seconds whatever the server manages: what it did not take
            # in that time is left unsent.
            run.stop.wait(args.step_seconds)
            run.stop.set()
            for thread in threads:
                thread.join()
            sent_seconds = time.monotonic() - started
            settled = applied_by(started_at, ids, time.monotonic() + 120)
            answered = [s for s in run.samples if s.outcome == "ok"]
            latencies = [s.latency_ms for s in answered]
            applied = settled["outcomes"].get("applied", 0)
            applied_seconds = (
                (settled["last_applied"] - started_at).total_seconds() if applied else 0
            )
            steps.append(
                {
                    "offered_per_s": rate,
                    "deliveries": len(run.samples),
                    "accepted": len(answered),
                    "accepted_per_s": round(len(answered) / sent_seconds, 1),
                    "errors": sum(1 for s in run.samples if s.outcome != "ok"),
                    "applied": applied,
                    "applied_per_s": round(applied / applied_seconds, 1) if applied else 0,
                    "outcomes": settled["outcomes"],
                    "p50_ms": round(percentile(latencies, 0.50), 1),
                    "p99_ms": round(percentile(latencies, 0.99), 1),
                    "max_ms": round(max(latencies, default=0.0), 1),
                }
            )
            print(f"webhooks {rate:g}/s: {json.dumps(steps[-1])}", flush=True)
    finally:
        stop_gunicorn(server)
        stop_worker(worker)
    return steps


def print_webhook_table(rounds: list[list[dict]], title: str) -> None:
    print(f"\n{title}: medians of {len(rounds)} rounds")
    print(
        "| offered /s | deliveries | accepted /s | applied /s | errors | p50 answer ms "
        "| p99 answer ms | max ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for position, step in enumerate(rounds[0]):
        cells = [r[position] for r in rounds]

        def med(name: str, cells: list[dict] = cells) -> float:
            return statistics.median(c[name] for c in cells)

        print(
            f"| {step['offered_per_s']:g} | {sum(c['deliveries'] for c in cells)} "
            f"| {med('accepted_per_s'):.1f} | {med('applied_per_s'):.1f} "
            f"| {sum(c['errors'] for c in cells)} | {med('p50_ms'):.1f} | {med('p99_ms'):.1f} "
            f"| {max(c['max_ms'] for c in cells):.0f} |"
        )


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            str(ROOT / "ercdash" / "gunicorn.conf.py"),
            "--max-requests",
            "0",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, **env},
        stderr=(DATA / "writes-gunicorn.log").open("w"),
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


def stop_gunicorn(server: subprocess.Popen) -> None:
    # A graceful stop: each worker finishes its request, including any work after the answer.
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def one_round(args, env: dict[str, str], database_url: str) -> dict:
    from orders.models import AccessAudit

    fresh_database(database_url)
    dataset = build(args.orders, args.imports)
    if args.webhook_rate > 0:
        # Deliveries are applied by a db_worker beside gunicorn, as in production.
        env = {**env, "ERCDASH_TASKS_BACKEND": "database"}
        worker = start_worker(env)
    server = start_gunicorn(env, args.port, args.workers)
    run = Run()
    threads = []
    try:
        for endpoint, requests in read_requests(dataset).items():
            rate = {"api order": args.api_rate, "console page": args.page_rate}.get(
                endpoint, args.poll_rate
            )
            for k in range(args.connections):
                interval = args.connections / rate
                thread = threading.Thread(
                    target=requester,
                    args=(
                        run,
                        args.port,
                        endpoint,
                        requests,
                        interval,
                        k * interval / args.connections,
                        args.timeout,
                    ),
                    daemon=True,
                )
                threads.append(thread)
                thread.start()
        time.sleep(3)
        run.phase = "reads alone"
        time.sleep(args.quiet)

        run.phase = "during writes"
        threads += shopify_webhook_stream(run, args.port, args.webhook_rate)
        cancels = threading.Thread(
            target=requester,
            args=(
                run,
                args.port,
                "api cancel",
                cancel_requests(dataset),
                1 / args.cancel_rate,
                0,
                args.timeout,
            ),
            daemon=True,
        )
        cancels.start()
        started = time.monotonic()
        importer = subprocess.run(
            [sys.executable, "manage.py", "import_orders", str(dataset.import_file)],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        import_seconds = time.monotonic() - started
        run.phase = "after"
    finally:
        run.stop.set()
        for thread in [*threads, *([cancels] if "cancels" in locals() else [])]:
            thread.join(timeout=args.timeout + 5)
        stop_gunicorn(server)
        if args.webhook_rate > 0:
            settle(time.monotonic() + 60)
            stop_worker(worker)

    page_views = sum(1 for s in run.samples if s.endpoint == "console page" and s.outcome == "ok")
    cancels_ok = sum(1 for s in run.samples if s.endpoint == "api cancel" and s.outcome == "ok")
    audit = AccessAudit.objects
    log = (DATA / "writes-gunicorn.log").read_text(errors="replace")
    return {
        "import": {
            "documents": args.imports,
            "seconds": round(import_seconds, 1),
            "exit_code": importer.returncode,
            "summary": importer.stdout.strip().splitlines()[-1:] or importer.stderr[-500:],
        },
        "shopify webhooks": webhook_outcomes() if args.webhook_rate > 0 else "not run",
        "audit": {
            "console page views answered": page_views,
            "view_order audit rows": audit.filter(channel="console", action="view_order").count(),
            "cancels answered 200": cancels_ok,
            "cancel_order audit rows": audit.filter(channel="api", action="cancel_order").count(),
        },
        "server error log lines": sum(1 for line in log.splitlines() if is_error_line(line)),
        "database is locked in log": log.count("database is locked"),
        "write retries logged": log.count("trying again") + importer.stderr.count("trying again"),
        "reads": summarize(run.samples),
    }


def is_error_line(line: str) -> bool:
    if not line.startswith("{"):
        return line.startswith("Traceback")
    return json.loads(line).get("level") in {"ERROR", "CRITICAL"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def summarize(samples: list[Sample]) -> dict:
    table: dict[str, dict] = {}
    for phase in ("reads alone", "during writes"):
        for endpoint in (*ENDPOINTS, "api cancel", "shopify webhooks"):
            chosen = [s for s in samples if s.phase == phase and s.endpoint == endpoint]
            if not chosen:
                continue
            latencies = [s.latency_ms for s in chosen if s.outcome == "ok"]
            table[f"{phase} / {endpoint}"] = {
                "requests": len(chosen),
                "errors": sum(1 for s in chosen if s.outcome == "error"),
                "timeouts": sum(1 for s in chosen if s.outcome == "timeout"),
                "statuses": sorted({s.status for s in chosen if s.outcome != "ok"}),
                "p50_ms": round(percentile(latencies, 0.50), 1),
                "p99_ms": round(percentile(latencies, 0.99), 1),
                "max_ms": round(max(latencies, default=0.0), 1),
            }
    return table


def print_table(rounds: list[dict], title: str) -> None:
    """Sums of requests, errors and timeouts; medians of the rounds' p50 and p99; the max."""
    seconds = ", ".join(str(r["import"]["seconds"]) for r in rounds)
    print(f"\n{title}: import {seconds} s; medians of {len(rounds)} rounds")
    print("| phase / endpoint | requests | errors | timeouts | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key in rounds[0]["reads"]:
        cells = [r["reads"][key] for r in rounds if key in r["reads"]]

        def med(name: str, cells: list[dict] = cells) -> float:
            return statistics.median(c[name] for c in cells)

        print(
            f"| {key} | {sum(c['requests'] for c in cells)} | {sum(c['errors'] for c in cells)} "
            f"| {sum(c['timeouts'] for c in cells)} | {med('p50_ms'):.1f} | {med('p99_ms'):.1f} "
            f"| {max(c['max_ms'] for c in cells):.0f} |"
        )
    for r in rounds:
        extra = {k: r[k] for k in ("server error log lines", "write retries logged") if k in r}
        print(" audit:", json.dumps(r["audit"]), json.dumps(extra))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orders", type=int, default=1000, help="orders before the import")
    parser.add_argument("--import", dest="imports", type=int, default=3000)
    parser.add_argument("--quiet", type=float, default=10, help="seconds of reads alone")
    parser.add_argument("--api-rate", type=float, default=20, help="API reads per second")
    parser.add_argument("--page-rate", type=float, default=4, help="console pages per second")
    parser.add_argument("--poll-rate", type=float, default=8, help="timeline polls per second")
    parser.add_argument("--cancel-rate", type=float, default=1, help="API cancels per second")
    parser.add_argument(
        "--webhook-rate", type=float, default=5, help="Shopify deliveries per second (0: none)"
    )
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="only the webhook intake run: signed pairs at --webhook-rates against gunicorn",
    )
    parser.add_argument("--webhook-rates", type=float, nargs="+", default=[50, 100, 150, 200, 300])
    parser.add_argument("--step-seconds", type=float, default=10, help="per webhook rate")
    parser.add_argument("--webhook-connections", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4, help="per read endpoint")
    parser.add_argument("--timeout", type=float, default=5, help="client timeout, seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8720)
    parser.add_argument("--label", default="", help="names the JSON file of the results")
    parser.add_argument(
        "--table",
        nargs="+",
        metavar="JSON",
        help="only print the table of earlier results (e.g. rounds run alternately from two "
        "checkouts, to compare them on a shared machine)",
    )
    args = parser.parse_args()
    if args.table:
        rounds = [r for name in args.table for r in json.loads(Path(name).read_text())["rounds"]]
        print_table(rounds, ", ".join(Path(name).stem for name in args.table))
        return

    DATA.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA}/writes.sqlite3"
    os.environ["DATABASE_URL"] = database_url
    env = configure()
    env["DATABASE_URL"] = database_url
    vendor = "postgresql" if database_url.startswith("postgres") else "sqlite"

    if args.webhooks:
        webhook_rounds = [webhook_intake(args, env, database_url) for _ in range(args.rounds)]
        print_webhook_table(
            webhook_rounds,
            f"Shopify webhook intake, {vendor}, {args.workers} workers + 1 db_worker",
        )
        out = DATA / f"webhooks-{vendor}{'-' + args.label if args.label else ''}.json"
        out.write_text(json.dumps({"args": vars(args), "rounds": webhook_rounds}, indent=1))
        print(f"results: {out}")
        return

    rounds = []
    for number in range(1, args.rounds + 1):
        result = one_round(args, env, database_url)
        rounds.append(result)
        print(f"round {number}: {json.dumps(result)}", flush=True)

    print_table(rounds, f"{vendor}, {args.workers} workers, {args.imports} documents imported")
    out = DATA / f"writes-{vendor}{'-' + args.label if args.label else ''}.json"
    out.write_text(json.dumps({"args": vars(args), "rounds": rounds}, indent=1))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
