from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import Order, ShopifyOrder, ShopifyStore, WebhookDelivery
from orders.services import shopify
from tests import shopify_payloads as shop

Outcome = WebhookDelivery.Outcome


@pytest.fixture
def store(db) -> ShopifyStore:
    return shopify.store_register(domain=shop.SHOP, brand="Casa Lisboa", secret=shop.SECRET)


# --- add_shopify_store ------------------------------------------------------------------------


def test_add_shopify_store_reads_the_secret_from_stdin_and_never_prints_it(run_command, settings):
    settings.ERCDASH_PUBLIC_BASE_URL = "https://ercdash.example.com"

    status, out, err = run_command(
        "add_shopify_store", "Casa-Lisboa.myshopify.com", "--brand", "Casa Lisboa",
        stdin=b"s3cret-from-shopify\n",
    )  # fmt: skip

    assert status == 0
    store = ShopifyStore.objects.get()
    assert (store.domain, store.brand, store.secret) == (
        "casa-lisboa.myshopify.com",
        "Casa Lisboa",
        "s3cret-from-shopify",
    )
    assert "s3cret" not in out + err
    assert out.splitlines()[:2] == [
        "Registered casa-lisboa.myshopify.com (brand Casa Lisboa).",
        "Webhook URL: https://ercdash.example.com/integrations/shopify/webhooks",
    ]


@pytest.mark.parametrize("stdin", [b"", b"\n", b"   \n"])
def test_add_shopify_store_refuses_an_empty_secret(run_command, stdin):
    status, out, err = run_command("add_shopify_store", shop.SHOP, "--brand", "X", stdin=stdin)

    assert status == 1
    assert "secret" in err
    assert not ShopifyStore.objects.exists()


def test_add_shopify_store_has_no_secret_argument(run_command):
    from django.core.management import load_command_class

    parser = load_command_class("orders", "add_shopify_store").create_parser("manage.py", "x")

    options = {action.dest for action in parser._actions}
    assert not {"secret", "password"} & options


@pytest.mark.parametrize("domain", ["not a domain", "https://casa.myshopify.com", ""])
def test_add_shopify_store_refuses_a_domain_that_is_no_shop(run_command, domain):
    status, out, err = run_command("add_shopify_store", domain, "--brand", "X", stdin=b"s\n")

    assert status == 1
    assert "domain" in err
    assert not ShopifyStore.objects.exists()


def test_add_shopify_store_refuses_a_shop_registered_already(run_command, store):
    status, out, err = run_command("add_shopify_store", shop.SHOP, "--brand", "X", stdin=b"s\n")

    assert status == 1
    assert "already registered" in err
    assert ShopifyStore.objects.get().secret == shop.SECRET


# --- import_shopify_orders --------------------------------------------------------------------


def test_import_shopify_orders_reads_orders_json(run_command, store, tmp_path):
    path = tmp_path / "orders.json"
    orders = [shop.order(), shop.order(order_id=42, name="#1002")]
    path.write_text(json.dumps({"orders": orders}, indent=2))

    status, out, err = run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    assert (status, err) == (0, "")
    assert json.loads(out) == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert set(Order.objects.values_list("brand", flat=True)) == {"Casa Lisboa"}
    assert ShopifyOrder.objects.filter(order__isnull=False).count() == 2


def test_import_shopify_orders_reads_json_lines_and_is_idempotent(run_command, store, tmp_path):
    path = tmp_path / "orders.jsonl"
    orders = [shop.order(), shop.order(order_id=42, name="#1002")]
    path.write_text("\n".join(json.dumps(order) for order in orders) + "\n")

    run_command("import_shopify_orders", str(path), "--store", shop.SHOP)
    status, out, err = run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    assert status == 0
    assert json.loads(out) == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 0}


def test_import_shopify_orders_rejects_what_cannot_be_mapped_and_imports_the_rest(
    run_command, store, tmp_path
):
    path = tmp_path / "orders.jsonl"
    lines = [json.dumps(shop.order()), json.dumps(shop.order(order_id=42, currency=None)), "{x"]
    path.write_text("\n".join(lines) + "\n")

    status, out, err = run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    assert status == 1
    assert json.loads(out) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    problems = [json.loads(line) for line in err.splitlines()]
    assert problems[0] == {
        "record": 2,
        "field": "",
        "description": "Could not map the order: The order has no currency.",
    }
    assert problems[1]["record"] == 3


def test_import_shopify_orders_streams_json_lines_in_chunks_and_counts_the_files_positions(
    run_command, store, tmp_path, monkeypatch
):
    monkeypatch.setattr(shopify, "BACKFILL_CHUNK", 3)
    card = "4111 1111 1111 1111"
    orders = [shop.order(order_id=100 + n, name=f"#{n}") for n in range(8)]
    orders[4]["line_items"] = [{"id": 1, "title": card, "quantity": 1, "price": "1"}]
    orders[6] = shop.order(order_id=106, currency=None)
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(order) for order in orders) + "\n")
    chunks = []
    real = shopify.import_prepared
    monkeypatch.setattr(
        shopify,
        "import_prepared",
        lambda prepared, **options: chunks.append(len(prepared[0])) or real(prepared, **options),
    )

    status, out, err = run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    assert status == 1
    assert json.loads(out) == {"created": 6, "updated": 0, "unchanged": 0, "rejected": 2}
    assert chunks == [3, 3, 2]
    problems = [json.loads(line) for line in err.splitlines()]
    assert [(problem["record"], problem["field"]) for problem in problems] == [
        (5, "items.0.name"),
        (7, ""),
    ]
    assert card not in err
    assert set(Order.objects.values_list("external_id", flat=True)) == {
        str(100 + n) for n in (0, 1, 2, 3, 5, 7)
    }
    remembered = ShopifyOrder.objects.filter(order__isnull=False)
    assert set(remembered.values_list("shopify_id", flat=True)) == {
        str(100 + n) for n in (0, 1, 2, 3, 5, 7)
    }


def test_a_big_backfill_maps_in_a_second_process_and_an_order_a_webhook_brought_here(
    run_command, store, tmp_path, client, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(shopify, "BACKFILL_CHUNK", 2)
    started = []
    real = shopify.validation._in_child
    monkeypatch.setattr(
        shopify.validation,
        "_in_child",
        lambda *args, **kwargs: started.append(1) or real(*args, **kwargs),
    )
    with django_capture_on_commit_callbacks(execute=True):
        newer = shop.order(order_id=102, updated_at="2026-11-30T12:00:00-05:00", name="#NEW")
        shop.deliver(client, newer, topic="orders/updated", webhook_id="wh")
    orders = [shop.order(order_id=100 + n, name=f"#{n}") for n in range(5)]
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(order) for order in orders) + "\n")

    status, out, err = run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    assert started == [1]
    assert (status, json.loads(out)) == (
        0,
        {"created": 4, "updated": 0, "unchanged": 1, "rejected": 0},
    )
    assert Order.objects.get(external_id="102").order_number == "#NEW"
    assert ShopifyOrder.objects.filter(order__isnull=False).count() == 5


def test_import_shopify_orders_dry_run_writes_nothing(run_command, store, tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": [shop.order()]}))

    status, out, err = run_command(
        "import_shopify_orders", str(path), "--store", shop.SHOP, "--dry-run"
    )

    assert json.loads(out)["created"] == 1
    assert not Order.objects.exists()
    assert not ShopifyOrder.objects.exists()


def test_import_shopify_orders_needs_a_registered_store(run_command, tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": []}))

    status, out, err = run_command("import_shopify_orders", str(path), "--store", "x.myshopify.com")

    assert status == 1
    assert "No Shopify store" in err


def test_a_backfilled_order_is_not_undone_by_an_older_webhook(
    run_command, store, tmp_path, client, django_capture_on_commit_callbacks
):
    path = tmp_path / "orders.json"
    newer = shop.order(updated_at="2026-11-30T12:00:00-05:00", name="#NEW")
    path.write_text(json.dumps({"orders": [newer]}))
    run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    with django_capture_on_commit_callbacks(execute=True):
        shop.deliver(client, shop.order(name="#OLD"), topic="orders/updated", webhook_id="wh")

    assert WebhookDelivery.objects.get().outcome == Outcome.STALE
    assert Order.objects.get().order_number == "#NEW"


def test_a_backfill_older_than_a_webhook_keeps_the_webhooks_version(
    run_command, store, tmp_path, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        newer = shop.order(updated_at="2026-11-30T12:00:00-05:00", name="#NEW")
        shop.deliver(client, newer, topic="orders/updated", webhook_id="wh")
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": [shop.order(name="#OLD")]}))

    status, out, err = run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    assert json.loads(out) == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    assert Order.objects.get().order_number == "#NEW"


# --- purge_webhook_deliveries -----------------------------------------------------------------


def delivery(store, webhook_id: str, *, age: timedelta, outcome: str = Outcome.APPLIED):
    return WebhookDelivery.objects.create(
        store=store,
        topic="orders/create",
        webhook_id=webhook_id,
        payload={"id": 1},
        outcome=outcome,
        received_at=timezone.now() - age,
    )


def test_purge_deletes_deliveries_past_the_retention_days(run_command, store, settings):
    settings.ERCDASH_WEBHOOK_RETENTION_DAYS = 30
    delivery(store, "old", age=timedelta(days=30, minutes=1))
    delivery(store, "young", age=timedelta(days=29))

    status, out, err = run_command("purge_webhook_deliveries", "--days", "30")

    assert status == 0
    assert out == "Deleted 1 webhook deliveries older than 30 days.\n"
    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["young"]


def test_purge_queues_deliveries_left_unapplied_again(
    run_command, store, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(shopify, "deliveries_apply", lambda store_id: queued.append(store_id))
    delivery(store, "stranded", age=timedelta(minutes=11), outcome=Outcome.RECEIVED)
    delivery(store, "just-in", age=timedelta(seconds=5), outcome=Outcome.RECEIVED)

    with django_capture_on_commit_callbacks(execute=True):
        status, out, err = run_command("purge_webhook_deliveries")

    assert queued == [store.pk]
    assert "Queued 1 unapplied deliveries again." in out


def test_purge_hands_out_again_a_batch_a_dead_worker_had_taken(
    run_command, store, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(shopify, "deliveries_apply", lambda store_id: queued.append(store_id))
    taken = delivery(store, "taken", age=timedelta(minutes=11), outcome=Outcome.RECEIVED)
    WebhookDelivery.objects.filter(pk=taken.pk).update(claimed_at=taken.received_at)
    assert shopify._claim(store_id=store.pk) == []  # no drain takes it while it is claimed

    with django_capture_on_commit_callbacks(execute=True):
        run_command("purge_webhook_deliveries")

    taken.refresh_from_db()
    assert (taken.outcome, taken.claimed_at, queued) == (Outcome.RECEIVED, None, [store.pk])
    assert shopify._claim(store_id=store.pk) == [taken.pk]


def test_import_shopify_orders_takes_the_rest_apis_order_fixture(run_command, store, tmp_path):
    fixture = Path(__file__).parent / "fixtures" / "shopify" / "order_python_api.json"
    order = json.loads(fixture.read_text())["order"]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": [order]}))

    status, out, err = run_command("import_shopify_orders", str(path), "--store", shop.SHOP)

    assert (status, err) == (0, "")
    assert json.loads(out) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert Order.objects.get().external_id == str(order["id"])
