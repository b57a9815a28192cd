from __future__ import annotations

import json
import logging
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders import services
from orders.integrations.shopify import mapping
from orders.models import CancelReason, Order, ShopifyOrder, ShopifyStore, WebhookDelivery
from orders.services import shopify
from tests import shopify_payloads as shop
from tests.shopify_payloads import deliver

Outcome = WebhookDelivery.Outcome
ORDER_ID = str(shop.ORDER_ID)
# Claim, states, the import (one batch), record: the same whatever the batch size.
BATCH_QUERIES = 34


@pytest.fixture
def store(db) -> ShopifyStore:
    return shopify.store_register(domain=shop.SHOP, brand="Casa Lisboa", secret=shop.SECRET)


@pytest.fixture
def send(client, store, django_capture_on_commit_callbacks):
    """send(payload, topic=..., webhook_id=...) -> response, with the apply task run as the
    immediate backend runs it: right after the delivery's commit."""

    def post(payload, *, topic: str = "orders/create", webhook_id: str = "", **options):
        webhook_id = webhook_id or f"wh-{WebhookDelivery.objects.count() + 1}"
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, payload, topic=topic, webhook_id=webhook_id, **options)

    return post


def stored_order() -> Order:
    return Order.objects.get(external_id=ORDER_ID)


# --- Receiving: who may deliver ---------------------------------------------------------------


def test_a_signed_order_is_answered_200_stored_and_applied(send):
    response = send(shop.order(), topic="orders/create", webhook_id="b54557e4-0001")

    assert response.status_code == HTTPStatus.OK
    delivery = WebhookDelivery.objects.get()
    assert (delivery.topic, delivery.webhook_id, delivery.outcome) == (
        "orders/create",
        "b54557e4-0001",
        Outcome.APPLIED,
    )
    assert delivery.payload["id"] == shop.ORDER_ID
    order = stored_order()
    assert (order.order_number, order.brand, str(order.final_total_amount)) == (
        "#1001",
        "Casa Lisboa",
        "25.000",
    )


@pytest.mark.parametrize("missing", ["HTTP_X_SHOPIFY_HMAC_SHA256", "HTTP_X_SHOPIFY_SHOP_DOMAIN"])
def test_a_missing_signature_or_shop_header_is_401_and_nothing_is_stored(client, store, missing):
    body = json.dumps(shop.order()).encode()
    headers = shop.headers(body, topic="orders/create", webhook_id="wh-1")
    del headers[missing]

    response = client.post(shop.URL, data=body, content_type="application/json", **headers)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not WebhookDelivery.objects.exists()
    assert not Order.objects.exists()


def test_an_unknown_shop_is_401_and_nothing_is_stored(send):
    response = send(shop.order(), shop="other-shop.myshopify.com")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not WebhookDelivery.objects.exists()


def test_a_body_signed_with_another_secret_is_401_and_nothing_is_stored(send):
    response = send(shop.order(), secret="not-the-shops-secret")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not WebhookDelivery.objects.exists()
    assert not Order.objects.exists()


def test_a_tampered_body_is_401_and_nothing_is_stored(client, store):
    body = json.dumps(shop.order()).encode()
    headers = shop.headers(body, topic="orders/create", webhook_id="wh-1")
    tampered = body.replace(b'"25.00"', b'"0.01"')

    response = client.post(shop.URL, data=tampered, content_type="application/json", **headers)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not WebhookDelivery.objects.exists()


def test_a_signature_of_another_shop_is_401(send, store):
    shopify.store_register(domain="porto.myshopify.com", brand="Porto", secret="porto-secret")

    response = send(shop.order(), shop="porto.myshopify.com")  # signed with Casa Lisboa's

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_each_shop_is_checked_with_its_own_secret_and_gets_its_brand(send, store):
    shopify.store_register(domain="porto.myshopify.com", brand="Porto", secret="porto-secret")

    response = send(shop.order(), shop="porto.myshopify.com", secret="porto-secret")

    assert response.status_code == HTTPStatus.OK
    assert stored_order().brand == "Porto"


def test_during_a_rotation_both_secrets_are_accepted(send, store):
    shopify.store_secret_rotate(store=store, secret="the-new-secret")

    old = send(shop.order(), secret=shop.SECRET)
    new = send(shop.order(updated_at="2026-11-30T11:00:00-05:00"), secret="the-new-secret")

    assert (old.status_code, new.status_code) == (HTTPStatus.OK, HTTPStatus.OK)
    assert WebhookDelivery.objects.filter(outcome=Outcome.APPLIED).count() == 2


def test_once_the_rotation_ends_the_old_secret_is_refused(send, store):
    shopify.store_secret_rotate(store=store, secret="the-new-secret")
    shopify.store_rotation_end(store=store)

    old = send(shop.order(), secret=shop.SECRET)
    new = send(shop.order(), secret="the-new-secret")

    assert (old.status_code, new.status_code) == (HTTPStatus.UNAUTHORIZED, HTTPStatus.OK)
    assert WebhookDelivery.objects.count() == 1


# --- Receiving: what is delivered -------------------------------------------------------------


def test_a_body_over_5_mib_is_413_and_nothing_is_stored(send):
    payload = shop.order(note="x" * (5 * 1024 * 1024))

    response = send(payload)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert not WebhookDelivery.objects.exists()


def test_a_body_of_exactly_5_mib_is_accepted(send):
    skeleton = json.dumps({"id": 1, "pad": ""}).encode()
    body = json.dumps({"id": 1, "pad": "x" * (5 * 1024 * 1024 - len(skeleton))}).encode()
    assert len(body) == 5 * 1024 * 1024

    response = send(body, topic="shop/update")

    assert response.status_code == HTTPStatus.OK
    assert WebhookDelivery.objects.get().outcome == Outcome.IGNORED


def test_an_oversized_body_from_an_unknown_shop_is_401(send):
    response = send(shop.order(note="x" * (5 * 1024 * 1024)), shop="nobody.myshopify.com")

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "body", [b"[1, 2]", b'"an order"', b"null", b"{not json", b"\xff\xfe{}", b""]
)
def test_a_signed_body_that_is_not_a_json_object_is_400_and_nothing_is_stored(send, body):
    response = send(body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not WebhookDelivery.objects.exists()


def test_a_repeated_webhook_id_is_200_and_applied_once(send, monkeypatch):
    applied = []
    apply = shopify._order_document
    monkeypatch.setattr(shopify, "_order_document", lambda state: applied.append(1) or apply(state))

    first = send(shop.order(), webhook_id="b54557e4-same")
    again = send(shop.order(), webhook_id="b54557e4-same")

    assert (first.status_code, again.status_code) == (HTTPStatus.OK, HTTPStatus.OK)
    assert applied == [1]
    outcomes = list(WebhookDelivery.objects.order_by("id").values_list("outcome", "reason"))
    original = WebhookDelivery.objects.order_by("id").first()
    assert outcomes == [
        (Outcome.APPLIED, ""),
        (Outcome.DUPLICATE, f"Repeats delivery {original.pk}; not applied."),
    ]
    assert WebhookDelivery.objects.get(outcome=Outcome.DUPLICATE).payload == {}


def test_the_same_webhook_id_from_another_shop_is_not_a_duplicate(send, store):
    shopify.store_register(domain="porto.myshopify.com", brand="Porto", secret="porto-secret")

    send(shop.order(), webhook_id="same-id")
    porto_order = shop.order(order_id=1234, customer={"id": 5678, "first_name": "Rui"})
    send(porto_order, webhook_id="same-id", shop="porto.myshopify.com", secret="porto-secret")

    outcomes = WebhookDelivery.objects.order_by("id").values_list("outcome", flat=True)
    assert list(outcomes) == [Outcome.APPLIED] * 2


def test_an_unknown_topic_is_200_and_recorded_as_ignored_without_its_payload(send):
    response = send({"id": 1, "email": "ana.silva@example.com"}, topic="customers/update")

    assert response.status_code == HTTPStatus.OK
    delivery = WebhookDelivery.objects.get()
    assert (delivery.topic, delivery.outcome, delivery.payload) == (
        "customers/update",
        Outcome.IGNORED,
        {},
    )
    assert delivery.reason == "ercdash does not apply this topic."


def test_a_payload_with_a_nul_character_is_200_and_failed_without_its_payload(send):
    response = send(shop.order(note="before\x00after"), webhook_id="wh-nul")

    assert response.status_code == HTTPStatus.OK
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.payload) == (Outcome.FAILED, {})
    assert delivery.reason == "The payload holds a NUL character (\\u0000); not stored or applied."
    assert not Order.objects.exists()


def test_the_endpoint_needs_no_session_csrf_token_or_trailing_slash(store):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    body = json.dumps({"id": 1}).encode()
    headers = shop.headers(body, topic="shop/update", webhook_id="wh-1")

    response = client.post(shop.URL + "/", data=body, content_type="application/json", **headers)

    assert response.status_code == HTTPStatus.OK
    assert "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"


def test_other_methods_are_405(client, store):
    assert client.get(shop.URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_logs_hold_ids_and_never_the_payload(send, json_log, caplog):
    caplog.set_level(logging.DEBUG)
    payload = shop.order()

    send(payload, webhook_id="b54557e4-logs")
    send(payload, webhook_id="b54557e4-logs")
    send(shop.fulfillment(order_id=999), topic="fulfillments/create")
    send({"email": "x"}, topic="orders/create")  # fails: no order id

    text = caplog.text + json.dumps(json_log())
    for value in ("ana.silva@example.com", "Silva", "Rua Augusta", "1100-053", "1Z2345", "25.00"):
        assert value not in text
    assert "b54557e4-logs" in text
    assert shop.SHOP in text
    assert "orders/create" in text


# --- Applying ---------------------------------------------------------------------------------


def test_a_fulfillment_before_its_order_waits_and_is_applied_when_the_order_arrives(send):
    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-fulfillment")

    waiting = WebhookDelivery.objects.get(webhook_id="wh-fulfillment")
    assert (waiting.outcome, waiting.reason) == (
        Outcome.WAITING,
        "Waiting for its order, which has not arrived yet.",
    )
    assert not Order.objects.exists()

    send(shop.order(), topic="orders/create", webhook_id="wh-order")

    waiting.refresh_from_db()
    order_delivery = WebhookDelivery.objects.get(webhook_id="wh-order")
    assert waiting.outcome == Outcome.APPLIED
    assert waiting.applied_at is not None
    assert waiting.reason == f"Applied with delivery {order_delivery.pk}."
    parcel = stored_order().shipments.get()
    assert (parcel.carrier, parcel.tracking_number) == ("UPS", "1Z2345")


def test_a_fulfillment_of_a_known_order_is_applied_at_once(send):
    send(shop.order())

    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-f")

    assert WebhookDelivery.objects.get(webhook_id="wh-f").outcome == Outcome.APPLIED
    assert stored_order().shipments.get().tracking_number == "1Z2345"


def test_a_fulfillment_update_replaces_the_parcels_state(send):
    send(shop.order())
    send(shop.fulfillment(), topic="fulfillments/create")

    send(
        shop.fulfillment(shipment_status="delivered", updated_at="2026-12-01T09:00:00-05:00"),
        topic="fulfillments/update",
    )

    parcel = stored_order().shipments.get()
    assert parcel.events.order_by("status_date_time").last().detailed_type == "DELIVERED"


def test_an_older_fulfillment_update_is_stale(send):
    send(shop.order())
    newer = shop.fulfillment(shipment_status="delivered", updated_at="2026-12-01T09:00:00-05:00")
    send(newer, topic="fulfillments/update")

    send(shop.fulfillment(), topic="fulfillments/update", webhook_id="wh-old")

    assert WebhookDelivery.objects.get(webhook_id="wh-old").outcome == Outcome.STALE
    parcel = stored_order().shipments.get()
    assert parcel.events.order_by("status_date_time").last().detailed_type == "DELIVERED"


def test_a_refund_before_its_order_waits_then_counts(send):
    refund = {
        "id": 509562969,
        "order_id": shop.ORDER_ID,
        "created_at": "2026-12-01T10:00:00-05:00",
        "transactions": [
            {"kind": "refund", "status": "success", "amount": "5.00", "currency": "EUR"}
        ],
        "refund_line_items": [],
    }
    send(refund, topic="refunds/create", webhook_id="wh-refund")
    assert WebhookDelivery.objects.get(webhook_id="wh-refund").outcome == Outcome.WAITING

    send(shop.order(financial_status="partially_refunded"))

    assert WebhookDelivery.objects.get(webhook_id="wh-refund").outcome == Outcome.APPLIED
    assert str(stored_order().total_refunded_amount) == "5.000"


def test_an_older_order_update_is_stale_and_changes_nothing(send):
    send(shop.order(updated_at="2026-11-30T12:00:00-05:00", name="#1001"))

    send(
        shop.order(updated_at="2026-11-30T11:00:00-05:00", name="#OLD"),
        topic="orders/updated",
        webhook_id="wh-old",
    )

    delivery = WebhookDelivery.objects.get(webhook_id="wh-old")
    assert delivery.outcome == Outcome.STALE
    assert delivery.reason.startswith("Older than the order already applied")
    assert stored_order().order_number == "#1001"


def test_a_newer_order_update_is_applied(send):
    send(shop.order())

    send(shop.order(updated_at="2026-11-30T12:00:00-05:00", name="#1001-B"), topic="orders/updated")

    assert stored_order().order_number == "#1001-B"


def test_an_order_cancelled_in_shopify_is_canceled(send):
    send(shop.order())

    send(
        shop.order(
            updated_at="2026-11-30T12:00:00-05:00",
            cancelled_at="2026-11-30T12:00:00-05:00",
            cancel_reason="customer",
        ),
        topic="orders/cancelled",
    )

    assert stored_order().cancellation_status == "CANCELED"


def test_a_local_cancellation_survives_a_later_update_from_shopify(send):
    send(shop.order(financial_status="pending"))
    services.order_cancel(
        order=stored_order(),
        reason=CancelReason.CUSTOMER_REQUEST,
        actor="agent:alice",
        channel="console",
    )

    send(
        shop.order(updated_at="2026-11-30T12:00:00-05:00", financial_status="paid"),
        topic="orders/updated",
        webhook_id="wh-after-cancel",
    )

    assert WebhookDelivery.objects.get(webhook_id="wh-after-cancel").outcome == Outcome.APPLIED
    order = stored_order()
    assert order.cancellation_status == "CANCELED"
    assert order.canceled_by == "agent:alice"
    assert order.payment_status == "PAID"


def test_a_payload_that_cannot_be_mapped_fails_with_the_reason(send):
    send(shop.order(currency=None), webhook_id="wh-bad")

    delivery = WebhookDelivery.objects.get(webhook_id="wh-bad")
    assert (delivery.outcome, delivery.reason) == (
        Outcome.FAILED,
        "Could not map the order: The order has no currency.",
    )
    assert not Order.objects.exists()
    assert not ShopifyOrder.objects.filter(order__isnull=False).exists()


def test_an_order_the_import_refuses_fails_with_the_field_and_no_value(send):
    card = "4111 1111 1111 1111"
    send(shop.order(note=card, line_items=[{"id": 1, "title": card, "quantity": 1, "price": "1"}]),
         webhook_id="wh-card")  # fmt: skip

    delivery = WebhookDelivery.objects.get(webhook_id="wh-card")
    assert delivery.outcome == Outcome.FAILED
    assert delivery.reason.startswith("The order was refused: items.0.name")
    assert "4111" not in delivery.reason
    assert not Order.objects.exists()


def test_an_order_delivery_without_an_id_fails(send):
    send({"name": "#1"}, webhook_id="wh-no-id")

    delivery = WebhookDelivery.objects.get(webhook_id="wh-no-id")
    assert (delivery.outcome, delivery.reason) == (Outcome.FAILED, "The payload has no order id.")


def test_an_unexpected_error_fails_the_delivery_with_a_reason(send, monkeypatch, caplog):
    def broken(state):
        raise RuntimeError("ana.silva@example.com")

    monkeypatch.setattr(shopify, "_order_document", broken)

    send(shop.order(), webhook_id="wh-crash")

    delivery = WebhookDelivery.objects.get(webhook_id="wh-crash")
    assert delivery.outcome == Outcome.FAILED
    assert (
        delivery.reason
        == f"Unexpected error (RuntimeError); see the logs for delivery {delivery.pk}."
    )
    assert "ana.silva" not in caplog.text
    assert f"Shopify delivery {delivery.pk} failed: RuntimeError" in caplog.text


def test_applying_a_delivery_twice_changes_nothing_more(send):
    send(shop.order(), webhook_id="wh-1")
    delivery = WebhookDelivery.objects.get()
    before = stored_order().document

    assert shopify.delivery_apply(delivery_id=delivery.pk) == Outcome.APPLIED

    assert stored_order().document == before
    assert Order.objects.count() == 1


def test_reprocess_applies_a_delivery_again(send, django_capture_on_commit_callbacks):
    send(shop.order(currency=None), webhook_id="wh-bad")
    send(shop.order(updated_at="2026-11-29T10:00:00-05:00"), webhook_id="wh-good")

    with django_capture_on_commit_callbacks(execute=True):
        count = shopify.deliveries_reprocess(deliveries=WebhookDelivery.objects.all())

    assert count == 2
    outcomes = dict(WebhookDelivery.objects.values_list("webhook_id", "outcome"))
    assert outcomes == {"wh-bad": Outcome.FAILED, "wh-good": Outcome.APPLIED}


def test_reprocessing_an_older_order_delivery_after_a_newer_one_is_stale(
    send, django_capture_on_commit_callbacks
):
    send(shop.order(), webhook_id="wh-1")
    send(shop.order(updated_at="2026-11-30T12:00:00-05:00", name="#NEW"), webhook_id="wh-2")

    with django_capture_on_commit_callbacks(execute=True):
        shopify.deliveries_reprocess(deliveries=WebhookDelivery.objects.filter(webhook_id="wh-1"))

    assert WebhookDelivery.objects.get(webhook_id="wh-1").outcome == Outcome.STALE
    assert stored_order().order_number == "#NEW"


# --- The worker -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_the_answer_comes_before_the_worker_applies(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    shopify.store_register(domain=shop.SHOP, brand="Casa Lisboa", secret=shop.SECRET)

    response = deliver(client, shop.order(), topic="orders/create", webhook_id="wh-1")

    assert response.status_code == HTTPStatus.OK
    assert WebhookDelivery.objects.get().outcome == Outcome.RECEIVED
    assert not Order.objects.exists()

    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)

    assert WebhookDelivery.objects.get().outcome == Outcome.APPLIED
    assert Order.objects.filter(external_id=ORDER_ID).exists()


@pytest.fixture
def queued(settings):
    """The tasks enqueued (not run), as the database backend would hold them for a worker."""
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["default"].results


def test_a_burst_of_deliveries_queues_one_task_to_apply_them_in_order(send, store, queued):
    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-1")
    send(shop.order(), topic="orders/create", webhook_id="wh-2")
    send(shop.order(updated_at="2026-11-30T12:00:00-05:00"), topic="orders/paid", webhook_id="wh-3")

    assert [(r.task.name, r.kwargs) for r in queued] == [
        ("deliveries_apply_task", {"store_id": store.pk})
    ]
    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {Outcome.RECEIVED}

    assert shopify.deliveries_apply(store_id=store.pk) == 3

    outcomes = WebhookDelivery.objects.order_by("id").values_list("webhook_id", "outcome")
    assert list(outcomes) == [(f"wh-{n}", Outcome.APPLIED) for n in (1, 2, 3)]
    assert stored_order().shipments.count() == 1


def test_a_delivery_after_a_drain_started_queues_another(send, store, queued):
    send(shop.order(), webhook_id="wh-1")
    shopify.deliveries_apply(store_id=store.pk)

    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-2")

    assert len(queued) == 2
    assert shopify.deliveries_apply(store_id=store.pk) == 1
    assert WebhookDelivery.objects.get(webhook_id="wh-2").outcome == Outcome.APPLIED


def test_a_drain_queued_long_ago_and_never_started_is_not_waited_for(send, store, queued):
    send(shop.order(), webhook_id="wh-1")
    ShopifyStore.objects.update(apply_queued_at=timezone.now() - timedelta(minutes=2))

    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-2")

    assert len(queued) == 2


@pytest.fixture
def imports(monkeypatch):
    """The documents of each orders_import call the connector makes."""
    calls = []
    real = shopify.orders_import

    def counted(*, documents, **options):
        documents = list(documents)
        calls.append([getattr(record, "value", record)["id"] for record in documents])
        return real(documents=documents, **options)

    monkeypatch.setattr(shopify, "orders_import", counted)
    return calls


def test_a_batch_writes_each_order_once_and_gives_each_delivery_its_outcome(
    send, store, queued, imports
):
    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-1")
    send(shop.order(), topic="orders/create", webhook_id="wh-2")
    send(shop.order(updated_at="2026-11-30T12:00:00-05:00", name="#PAID"), topic="orders/paid",
         webhook_id="wh-3")  # fmt: skip
    send(shop.order(updated_at="2026-11-30T11:00:00-05:00", name="#OLD"), topic="orders/updated",
         webhook_id="wh-4")  # fmt: skip
    send(shop.fulfillment(order_id=555), topic="fulfillments/create", webhook_id="wh-5")

    assert shopify.deliveries_apply(store_id=store.pk) == 5

    assert imports == [[ORDER_ID]]
    outcomes = WebhookDelivery.objects.order_by("id").values_list("webhook_id", "outcome")
    assert list(outcomes) == [
        ("wh-1", Outcome.APPLIED),
        ("wh-2", Outcome.APPLIED),
        ("wh-3", Outcome.APPLIED),
        ("wh-4", Outcome.STALE),
        ("wh-5", Outcome.WAITING),
    ]
    assert WebhookDelivery.objects.get(webhook_id="wh-4").reason.startswith(
        "Older than the order already applied"
    )
    order = stored_order()
    assert order.order_number == "#PAID"
    assert order.shipments.count() == 1
    state = ShopifyOrder.objects.get(shopify_id=ORDER_ID)
    assert state.order["name"] == "#PAID"
    assert set(state.fulfillments) == {str(shop.fulfillment()["id"])}
    assert ShopifyOrder.objects.get(shopify_id="555").order is None


def test_a_refused_order_in_a_batch_fails_alone(send, store, queued, imports):
    card = "4111 1111 1111 1111"
    send(shop.order(order_id=101, name="#101"), webhook_id="wh-1")
    send(shop.order(order_id=102, line_items=[{"id": 1, "title": card, "quantity": 1,
         "price": "1"}]), webhook_id="wh-2")  # fmt: skip
    send(shop.order(order_id=103, name="#103"), webhook_id="wh-3")

    shopify.deliveries_apply(store_id=store.pk)

    assert imports == [["101", "102", "103"]]
    refused = WebhookDelivery.objects.get(webhook_id="wh-2")
    assert refused.outcome == Outcome.FAILED
    assert refused.reason.startswith("The order was refused: items.0.name")
    assert "4111" not in refused.reason
    assert set(Order.objects.values_list("external_id", flat=True)) == {"101", "103"}
    assert not ShopifyOrder.objects.filter(shopify_id="102", order__isnull=False).exists()
    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {
        Outcome.APPLIED,
        Outcome.FAILED,
    }


def test_a_newer_payload_that_fails_leaves_the_older_one_of_the_batch_applied(send, store, queued):
    send(shop.order(name="#GOOD"), webhook_id="wh-1")
    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-2")
    send(shop.order(updated_at="2026-11-30T12:00:00-05:00", currency=None), topic="orders/updated",
         webhook_id="wh-3")  # fmt: skip

    shopify.deliveries_apply(store_id=store.pk)

    outcomes = dict(WebhookDelivery.objects.values_list("webhook_id", "outcome"))
    assert outcomes == {"wh-1": Outcome.APPLIED, "wh-2": Outcome.APPLIED, "wh-3": Outcome.FAILED}
    assert WebhookDelivery.objects.get(webhook_id="wh-3").reason == (
        "Could not map the order: The order has no currency."
    )
    assert stored_order().order_number == "#GOOD"
    assert stored_order().shipments.count() == 1
    assert ShopifyOrder.objects.get().order["name"] == "#GOOD"


def _burst(send, orders: int, *, parcel_of: int = 1000) -> None:
    """An order and a fulfillment each (of that order by default)."""
    for n in range(orders):
        send(shop.order(order_id=1000 + n, name=f"#{n}"), webhook_id=f"wh-o{n}")
        send(shop.fulfillment(fulfillment_id=5000 + n, order_id=parcel_of + n),
             topic="fulfillments/create", webhook_id=f"wh-f{n}")  # fmt: skip


@pytest.mark.parametrize("orders", [3, 10])
def test_a_batch_costs_the_same_queries_whatever_its_size(
    send, store, queued, orders, django_assert_max_num_queries
):
    # New orders, and fulfillments of orders not seen yet (the import writes an order's
    # parcels order by order: that part grows with them).
    _burst(send, orders, parcel_of=9000)

    with django_assert_max_num_queries(BATCH_QUERIES):
        assert shopify.deliveries_apply(store_id=store.pk) == 2 * orders

    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {
        Outcome.APPLIED,
        Outcome.WAITING,
    }
    assert Order.objects.count() == orders
    assert ShopifyOrder.objects.count() == 2 * orders


def test_a_drain_takes_no_delivery_another_drain_has_claimed(send, store, queued):
    _burst(send, 2)
    claimed = shopify._claim(store_id=store.pk)

    assert claimed == list(WebhookDelivery.objects.order_by("id").values_list("pk", flat=True))
    assert shopify.deliveries_apply(store_id=store.pk) == 0
    assert not WebhookDelivery.objects.exclude(outcome=Outcome.RECEIVED).exists()
    assert not WebhookDelivery.objects.filter(claimed_at=None).exists()


def test_a_batch_that_stops_halfway_is_left_for_the_next_drain(send, store, queued, monkeypatch):
    _burst(send, 2)

    def lost(*, documents, **options):
        raise KeyboardInterrupt  # e.g. the worker is stopped

    monkeypatch.setattr(shopify, "orders_import", lost)
    with pytest.raises(KeyboardInterrupt):
        shopify.deliveries_apply(store_id=store.pk)
    assert set(WebhookDelivery.objects.values_list("outcome", "reason", "claimed_at")) == {
        (Outcome.RECEIVED, "", None)
    }

    monkeypatch.undo()
    assert shopify.deliveries_apply(store_id=store.pk) == 4


def test_a_batch_whose_order_another_drain_changed_meanwhile_is_written_again(
    send, store, queued, monkeypatch
):
    send(shop.order(name="#FIRST"), webhook_id="wh-1")
    shopify.deliveries_apply(store_id=store.pk)
    send(shop.fulfillment(), topic="fulfillments/create", webhook_id="wh-2")
    real = shopify.orders_import
    newer = shop.order(updated_at="2026-11-30T12:00:00-05:00", name="#NEWER")

    def raced(*, documents, **options):
        # Another drain applies a newer order payload between this one's fold and record.
        monkeypatch.setattr(shopify, "orders_import", real)
        ShopifyOrder.objects.update(order=newer, updated_at=mapping.order_updated_at(newer))
        return real(documents=documents, **options)

    monkeypatch.setattr(shopify, "orders_import", raced)

    shopify.deliveries_apply(store_id=store.pk)

    assert WebhookDelivery.objects.get(webhook_id="wh-2").outcome == Outcome.APPLIED
    order = stored_order()
    assert order.order_number == "#NEWER"
    assert order.shipments.count() == 1
    state = ShopifyOrder.objects.get()
    assert (state.order["name"], list(state.fulfillments)) == (
        "#NEWER",
        [str(shop.fulfillment()["id"])],
    )


def test_a_failed_enqueue_still_answers_200_and_lets_the_next_delivery_queue_a_drain(
    send, store, monkeypatch, caplog
):
    class Unreachable:
        def enqueue(self, **kwargs):
            raise ConnectionError("queue unreachable")

    monkeypatch.setattr(shopify, "deliveries_apply_task", Unreachable())

    response = send(shop.order(), webhook_id="wh-1")

    assert response.status_code == HTTPStatus.OK
    assert WebhookDelivery.objects.get().outcome == Outcome.RECEIVED
    assert ShopifyStore.objects.get().apply_queued_at is None
    assert f"Could not queue the Shopify deliveries of store {store.pk}" in caplog.text


# --- Retention --------------------------------------------------------------------------------


def test_the_purge_deletes_deliveries_older_than_the_retention(send, settings):
    settings.ERCDASH_WEBHOOK_RETENTION_DAYS = 30
    send(shop.order(), webhook_id="wh-old")
    send(shop.order(), webhook_id="wh-new")
    WebhookDelivery.objects.filter(webhook_id="wh-old").update(
        received_at=timezone.now() - timedelta(days=31)
    )

    assert shopify.deliveries_purge() == 1

    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["wh-new"]
    assert Order.objects.exists()


# --- Shopify's published samples, through the whole path --------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "shopify"
SAMPLES = {
    "orders/create": "orders_create.json",
    "orders/updated": "orders_updated.json",
    "orders/paid": "orders_paid.json",
    "orders/cancelled": "orders_cancelled.json",
    "fulfillments/create": "fulfillments_create.json",
    "fulfillments/update": "fulfillments_update.json",
    "refunds/create": "refunds_create.json",
}
SAMPLE_ORDER_ID = "820982911946154508"


def sample(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()  # signed and sent byte for byte as published


def test_every_published_sample_is_applied_in_shopifys_order(send):
    for topic, name in SAMPLES.items():
        assert send(sample(name), topic=topic).status_code == HTTPStatus.OK

    outcomes = WebhookDelivery.objects.order_by("id").values_list("topic", "outcome", "reason")
    assert list(outcomes) == [(topic, Outcome.APPLIED, "") for topic in SAMPLES]
    order = Order.objects.get(external_id=SAMPLE_ORDER_ID)
    assert (order.brand, order.cancellation_status) == ("Casa Lisboa", "CANCELED")


def test_published_samples_in_reverse_wait_for_their_order(send):
    send(sample("refunds_create.json"), topic="refunds/create", webhook_id="wh-refund")
    send(sample("fulfillments_create.json"), topic="fulfillments/create", webhook_id="wh-f")
    waiting = WebhookDelivery.objects.values_list("outcome", flat=True)
    assert set(waiting) == {Outcome.WAITING}

    send(sample("orders_create.json"), topic="orders/create", webhook_id="wh-order")

    assert set(WebhookDelivery.objects.values_list("outcome", flat=True)) == {Outcome.APPLIED}
    assert Order.objects.filter(external_id=SAMPLE_ORDER_ID).exists()


def test_a_published_sample_sent_twice_is_applied_once(send):
    send(sample("orders_create.json"), webhook_id="b54557e4-twice")
    send(sample("orders_create.json"), webhook_id="b54557e4-twice")

    outcomes = WebhookDelivery.objects.order_by("id").values_list("outcome", flat=True)
    assert list(outcomes) == [Outcome.APPLIED, Outcome.DUPLICATE]


@pytest.mark.parametrize(
    "name",
    [
        "variant_eur.json",
        "variant_jpy.json",
        "variant_portugal.json",
        "variant_split_fulfillments.json",
        "variant_cancelled.json",
        "variant_partial_refund.json",
        "variant_guest.json",
        "variant_payment_details.json",
        "variant_no_payment_details.json",
    ],
)
def test_each_variant_order_is_applied(send, name):
    send(sample(name), topic="orders/create", webhook_id=f"wh-{name}")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.reason) == (Outcome.APPLIED, "")
    assert Order.objects.filter(external_id=str(delivery.payload["id"])).exists()
