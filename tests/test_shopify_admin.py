from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from orders.models import Order, ShopifyStore, WebhookDelivery
from orders.services import shopify
from tests import shopify_payloads as shop

Outcome = WebhookDelivery.Outcome
STORES = reverse("admin:orders_shopifystore_changelist")
STORE_ADD = reverse("admin:orders_shopifystore_add")
DELIVERIES = reverse("admin:orders_webhookdelivery_changelist")


@pytest.fixture
def store(db) -> ShopifyStore:
    return shopify.store_register(domain=shop.SHOP, brand="Casa Lisboa", secret=shop.SECRET)


@pytest.fixture
def delivery(store) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        store=store,
        topic="orders/create",
        webhook_id="b54557e4-admin",
        payload=shop.order(),
        order_ref=str(shop.ORDER_ID),
        outcome=Outcome.FAILED,
        reason="Could not map the order: The order has no currency.",
    )


def change_url(obj) -> str:
    return reverse(f"admin:orders_{obj._meta.model_name}_change", args=[obj.pk])


# --- Stores -----------------------------------------------------------------------------------


def test_adding_a_store_takes_the_secret_in_a_password_field(admin_client):
    form = admin_client.get(STORE_ADD).content.decode()
    assert 'type="password" name="new_secret"' in form

    response = admin_client.post(
        STORE_ADD,
        {"domain": "Casa-Lisboa.myshopify.com", "brand": "Casa Lisboa", "new_secret": "abc123"},
    )

    assert response.status_code == HTTPStatus.FOUND
    store = ShopifyStore.objects.get()
    assert (store.domain, store.brand, store.secret) == (shop.SHOP, "Casa Lisboa", "abc123")


def test_a_new_store_needs_a_secret(admin_client):
    response = admin_client.post(STORE_ADD, {"domain": shop.SHOP, "brand": "Casa Lisboa"})

    assert response.status_code == HTTPStatus.OK
    assert "A new store needs its webhook signing secret." in response.content.decode()
    assert not ShopifyStore.objects.exists()


def test_the_secret_is_never_shown(admin_client, store):
    shopify.store_secret_rotate(store=store, secret="the-new-secret")

    pages = admin_client.get(change_url(store)).content.decode()
    pages += admin_client.get(STORES).content.decode()

    assert shop.SECRET not in pages
    assert "the-new-secret" not in pages
    assert 'type="password" name="new_secret"' in pages


def test_saving_without_a_new_secret_keeps_the_secret(admin_client, store):
    response = admin_client.post(
        change_url(store), {"domain": shop.SHOP, "brand": "Casa Lisboa 2", "new_secret": ""}
    )

    assert response.status_code == HTTPStatus.FOUND
    store.refresh_from_db()
    assert (store.brand, store.secret, store.previous_secret) == ("Casa Lisboa 2", shop.SECRET, "")


def test_a_new_secret_starts_a_rotation_that_an_action_ends(admin_client, store):
    admin_client.post(
        change_url(store), {"domain": shop.SHOP, "brand": "Casa Lisboa", "new_secret": "new-one"}
    )
    store.refresh_from_db()
    assert store.secrets == ["new-one", shop.SECRET]

    admin_client.post(STORES, {"action": "end_rotation", helpers.ACTION_CHECKBOX_NAME: [store.pk]})

    store.refresh_from_db()
    assert store.secrets == ["new-one"]


# --- Deliveries -------------------------------------------------------------------------------


def test_the_delivery_list_shows_shop_topic_id_outcome_and_reason(admin_client, delivery):
    page = admin_client.get(DELIVERIES, {"outcome": "failed"}).content.decode()

    for text in (shop.SHOP, "orders/create", "b54557e4-admin", "Failed", "has no currency"):
        assert text in page


def test_superusers_see_the_payload(admin_client, delivery):
    page = admin_client.get(change_url(delivery)).content.decode()

    assert "ana.silva@example.com" in page


def test_staff_with_view_permission_see_the_delivery_but_not_its_payload(staff_client, delivery):
    client = staff_client("orders.view_webhookdelivery")

    listing = client.get(DELIVERIES)
    page = client.get(change_url(delivery))

    assert (listing.status_code, page.status_code) == (HTTPStatus.OK, HTTPStatus.OK)
    assert "b54557e4-admin" in page.content.decode()
    assert "ana.silva@example.com" not in page.content.decode()
    assert "Rua Augusta" not in page.content.decode()


def test_deliveries_are_read_only(admin_client, delivery):
    response = admin_client.post(change_url(delivery), {"outcome": "applied", "reason": ""})

    assert response.status_code == HTTPStatus.FORBIDDEN
    delivery.refresh_from_db()
    assert delivery.outcome == Outcome.FAILED
    assert admin_client.get(reverse("admin:orders_webhookdelivery_add")).status_code == 403


def test_reprocess_applies_the_selected_deliveries_again(
    admin_client, delivery, django_capture_on_commit_callbacks
):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(outcome=Outcome.RECEIVED)
    shopify.delivery_apply(delivery_id=delivery.pk)  # applied once
    Order.objects.all().delete()  # e.g. removed by mistake in the admin

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            DELIVERIES, {"action": "reprocess", helpers.ACTION_CHECKBOX_NAME: [delivery.pk]}
        )

    assert response.status_code == HTTPStatus.FOUND
    delivery.refresh_from_db()
    assert delivery.outcome == Outcome.APPLIED
    assert Order.objects.filter(external_id=str(shop.ORDER_ID)).exists()


def test_reprocess_needs_the_change_permission(staff_client, delivery):
    client = staff_client("orders.view_webhookdelivery")

    page = client.get(DELIVERIES).content.decode()
    response = client.post(
        DELIVERIES, {"action": "reprocess", helpers.ACTION_CHECKBOX_NAME: [delivery.pk]}
    )

    assert "reprocess" not in page
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    delivery.refresh_from_db()
    assert delivery.outcome == Outcome.FAILED
