"""Run by tests/test_replica.py in a subprocess: reads through a primary and a read replica.

DATABASE_URL and DATABASE_REPLICA_URL name two SQLite files. The replica starts as a copy of
the migrated, empty primary; data is then written to the primary only, so what the API
answers shows which database each read used. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ercdash.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from bench.seed_bench import seed  # noqa: E402

API = "/erc/ecommerce/customers/customer123/orders/order123"


def replicate() -> None:
    # SQLite's backup API: the primary runs in WAL mode, so its file alone may lag its log.
    connections["replica"].close()
    primary = connections["default"]
    primary.ensure_connection()
    target = sqlite3.connect(settings.DATABASES["replica"]["NAME"])
    try:
        primary.connection.backup(target)
    finally:
        target.close()


def main() -> None:
    call_command("migrate", verbosity=0)
    replicate()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {seed(customers=1)}"}
    client = Client()
    results = {"lagging_replica": client.get(API, **auth).status_code}
    replicate()
    results["caught_up_replica"] = client.get(API, **auth).status_code
    results["readyz"] = client.get("/readyz").json()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
