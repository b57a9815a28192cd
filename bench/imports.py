"""Bulk import throughput: `manage.py import_orders` of a generated JSON Lines file.

    .venv/bin/python bench/imports.py                                  # 10,000 orders, SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ercdash_bench \\
        .venv/bin/python bench/imports.py                              # the same on PostgreSQL
    .venv/bin/python bench/imports.py --orders 200000 --rounds 1       # memory on a big file
    .venv/bin/python bench/imports.py --shopify                        # import_shopify_orders

The file holds `--orders` order documents of 3 items and 2 status events each, with a new
customer every third order (the others reuse the customer of the order before, with the same
addresses), written line by line so that a big file costs the generator no memory. Each round
starts from an empty database (SQLite: a new file in bench/.data/; PostgreSQL: the database
DATABASE_URL names is dropped and created again, so point it at one of its own), then runs
the command twice as a child process:

- **new**: every order is created;
- **unchanged**: the same file again, every order counts as unchanged.

With `--shopify` the file holds Shopify REST order objects of the same shape (3 line items, a
new customer every third order, a Lisbon shipping address) and the command is
`import_shopify_orders --store bench-shop.myshopify.com` (the shop is registered after the
migration).

Reported per run: the counts line, seconds, orders/s, the child's CPU seconds and peak RSS
(getrusage); "net" orders/s leaves out the command's start-up, timed on an empty file in the
same round. Medians over `--rounds` rounds. Not part of the test suite: timing on a shared
machine is only meaningful as a comparison within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def at(minutes: int) -> str:
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def order_document(n: int) -> dict:
    """Order n: 3 items, 2 status events; customer n // 3 (a new customer every third order)."""
    c = n // 3
    customer_id = f"bench-customer-{c:07d}"
    address = {
        "id": f"home-{c}",
        "first_name": "Maria",
        "last_name": f"Silva {c}",
        "phone_number": "+351910000000",
        "address": f"Rua Augusta {c % 500 + 1}",
        "zip_code": "1100-048",
        "city": "Lisbon",
        "region_code": "PT-11",
        "country_code": "PT",
        "default": True,
    }

    def eur(value: str) -> dict:
        return {"value": float(value), "currency": "EUR"}

    return {
        "id": f"bench-order-{n:07d}",
        "order_number": f"#B{n:07d}",
        "customer_id": customer_id,
        "brand": "Casa Lisboa",
        "purchase_datetime": at(n),
        "delivery_type": "SHIPPING",
        "shipping_address": address,
        "billing_address": address,
        "price_summary": {
            "original_total_amount": eur("24.5"),
            "discounts_amount": eur("0"),
            "shipping_amount": eur("3.99"),
            "taxes_amount": eur("5.64"),
            "final_total_amount": eur("34.13"),
        },
        "payment_details": {
            "card_brand": "Visa",
            "card_number": "**** **** **** 4567",
            "is_refunded": False,
        },
        "customer": {
            "id": customer_id,
            "first_name": "Maria",
            "last_name": f"Silva {c}",
            "email": f"maria{c}@example.com",
            "phone_number": "+351910000000",
            "brand": "Casa Lisboa",
            "customer_since": at(c),
        },
        "items": [
            {
                "id": f"item{k}",
                "name": f"Item {k}",
                "sku": f"SKU-{k}",
                "quantity": 1 + k,
                "price": eur("3.5"),
                "image_url": f"https://shop.example.com/item{k}.jpg",
                "description": "Cotton, blue",
            }
            for k in range(3)
        ],
        "status_history": [
            {"generic_type": "CONFIRMED", "detailed_type": "CONFIRMED", "status_date_time": at(n)},
            {
                "generic_type": "ON_ITS_WAY",
                "detailed_type": "IN_TRANSIT",
                "status_date_time": at(n + 60),
                "description": "Left the warehouse",
            },
        ],
    }


SHOP = "bench-shop.myshopify.com"


def shopify_order(n: int) -> dict:
    """Shopify order n as its REST API lists it: 3 line items, customer n // 3."""
    c = n // 3
    address = {
        "first_name": "Maria",
        "last_name": f"Silva {c}",
        "address1": f"Rua Augusta {c % 500 + 1}",
        "city": "Lisboa",
        "zip": "1100-048",
        "country_code": "PT",
        "province_code": "11",
        "phone": "+351 910 000 000",
    }
    return {
        "id": 7_000_000_000 + n,
        "name": f"#B{n:07d}",
        "currency": "EUR",
        "created_at": at(n),
        "updated_at": at(n + 30),
        "email": f"cliente{c}@example.com",
        "financial_status": "paid",
        "customer": {
            "id": 6_000_000_000 + c,
            "first_name": "Maria",
            "last_name": f"Silva {c}",
            "email": f"cliente{c}@example.com",
        },
        "total_line_items_price": "59.70",
        "total_discounts": "0.00",
        "total_tax": "11.16",
        "total_price": "63.69",
        "shipping_lines": [{"id": 1, "title": "CTT Expresso", "price": "3.99"}],
        "line_items": [
            {"id": 9_000_000_000 + 3 * n + k, "title": f"Item {k}", "sku": f"SKU-{k}",
             "quantity": 1, "price": "19.90"}
            for k in range(3)
        ],
        "shipping_address": address,
        "billing_address": address,
        "fulfillments": [],
        "refunds": [],
    }  # fmt: skip


def write_file(orders: int, *, shopify: bool = False) -> Path:
    """The JSON Lines file of `orders` documents (kept and reused while it exists)."""
    path = DATA / f"import-{'shopify-' if shopify else ''}{orders}.jsonl"
    make = shopify_order if shopify else order_document
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w") as out:
            for n in range(orders):
                out.write(json.dumps(make(n)) + "\n")
        partial.rename(path)
    return path


def environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ercdash.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }


def fresh_database(database_url: str, *, shopify: bool = False) -> None:
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        base, _, name = database_url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    env = environment(database_url)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    if shopify:
        subprocess.run(
            [PYTHON, "manage.py", "add_shopify_store", SHOP, "--brand", "Bench Shop"],
            cwd=ROOT, env=env, check=True, input=b"bench-shop-secret\n", stdout=subprocess.DEVNULL,
        )  # fmt: skip


def run_import(database_url: str, path: Path, *, shopify: bool = False) -> dict:
    """One `import_orders` (or `import_shopify_orders`) run in a child process: counts,
    seconds and peak RSS."""
    command = ["import_shopify_orders", str(path), "--store", SHOP] if shopify else [
        "import_orders", str(path)
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(
        [PYTHON, "manage.py", *command],
        cwd=ROOT,
        env=environment(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"{command[0]} failed ({child.returncode}): {out.decode()}")
    counts = json.loads(out.decode().strip().splitlines()[-1])
    orders = sum(counts.values())
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "counts": counts,
        "seconds": round(seconds, 2),
        "orders_per_second": round(orders / seconds),
        # CPU time of the command (Django's start-up included): steadier than the wall clock
        # on a shared machine, and the ceiling it sets (orders per CPU second).
        "cpu_seconds": round(cpu, 2),
        "orders_per_cpu_second": round(orders / cpu),
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label", default="", help="names the results file in bench/.data/")
    parser.add_argument(
        "--new-only", action="store_true", help="skip the unchanged re-import (big files)"
    )
    parser.add_argument(
        "--shopify", action="store_true", help="Shopify order objects, import_shopify_orders"
    )
    args = parser.parse_args()
    shopify = args.shopify

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA}/import.sqlite3"
    vendor = "postgresql" if database_url.startswith("postgres") else "sqlite"
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"writing {args.orders:,} documents ...", flush=True)
    path = write_file(args.orders, shopify=shopify)
    print(f"{path} ({path.stat().st_size / 2**20:,.0f} MiB)", flush=True)

    empty = DATA / "import-0.jsonl"
    empty.write_text("")
    rounds = []
    for number in range(1, args.rounds + 1):
        fresh_database(database_url, shopify=shopify)
        # The command's own start-up (Django, checks, the connection): the same for any file.
        startup = run_import(database_url, empty, shopify=shopify)
        print(f"{vendor} round {number} start-up:  {json.dumps(startup)}", flush=True)
        new = run_import(database_url, path, shopify=shopify)
        new["orders_per_second_net"] = round(args.orders / (new["seconds"] - startup["seconds"]))
        print(f"{vendor} round {number} new:       {json.dumps(new)}", flush=True)
        rounds.append({"new": new})
        if not args.new_only:
            unchanged = run_import(database_url, path, shopify=shopify)
            unchanged["orders_per_second_net"] = round(
                args.orders / (unchanged["seconds"] - startup["seconds"])
            )
            print(f"{vendor} round {number} unchanged: {json.dumps(unchanged)}", flush=True)
            rounds[-1]["unchanged"] = unchanged

    summary = {
        kind: {
            "orders_per_second_median": statistics.median(
                r[kind]["orders_per_second"] for r in rounds
            ),
            "orders_per_second_runs": [r[kind]["orders_per_second"] for r in rounds],
            "orders_per_second_net_median": statistics.median(
                r[kind]["orders_per_second_net"] for r in rounds
            ),
            "orders_per_cpu_second_median": statistics.median(
                r[kind]["orders_per_cpu_second"] for r in rounds
            ),
            "peak_rss_mib_max": max(r[kind]["peak_rss_mib"] for r in rounds),
        }
        for kind in ("new", "unchanged")
        if kind in rounds[0]
    }
    print(f"{vendor}, {args.orders:,} orders: {json.dumps(summary)}")
    label = args.label or f"{vendor}-{'shopify-' if shopify else ''}{args.orders}"
    result = {"vendor": vendor, "orders": args.orders, "rounds": rounds, "summary": summary}
    (DATA / f"imports-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    # The bench's own peak, for the record: the generator streams, so this stays small.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(bench script peak RSS {own:.0f} MiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
