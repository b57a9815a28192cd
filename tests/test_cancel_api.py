from __future__ import annotations

import json
import threading
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from orders.models import AccessAudit, IdempotencyRecord, Order
from tests.conftest import READ, WRITE, event

ORDER = "/erc/ecommerce/customers/customer123/orders/order123"
PREVIEW = ORDER + "/cancel-preview"
CANCEL = ORDER + "/cancel"


def post_cancel(client, auth, body=None, *, raw: str | None = None, **headers):
    data = raw if raw is not None else json.dumps(body or {"cancel_reason": "CUSTOMER_REQUEST"})
    return client.post(CANCEL, data=data, content_type="application/json", **auth, **headers)


@pytest.fixture
def write_auth(bearer):
    return bearer(READ, WRITE)


def test_preview_of_a_confirmed_order_is_cancellable(client, read_auth, make_order):
    make_order(events=[event("CONFIRMED")])

    body = client.get(PREVIEW, **read_auth).json()

    assert body["is_cancellable"] is True
    assert {"value": "CUSTOMER_REQUEST", "label": "Customer changed their mind"} in body[
        "cancel_reasons"
    ]
    assert body["_links"] == {
        "self": {"href": "http://testserver" + PREVIEW},
        "cancel": {"href": "http://testserver" + CANCEL},
    }


def test_preview_of_an_order_without_status_is_cancellable(client, read_auth, make_order):
    make_order()

    assert client.get(PREVIEW, **read_auth).json()["is_cancellable"] is True


@pytest.mark.parametrize("generic", ["ON_ITS_WAY", "OUT_FOR_DELIVERY", "DELIVERED"])
def test_preview_of_a_shipped_order_is_not_cancellable(client, read_auth, make_order, generic):
    make_order(events=[event("CONFIRMED"), event(generic, day=15)])

    body = client.get(PREVIEW, **read_auth).json()

    assert body["is_cancellable"] is False
    assert "cancel" not in body["_links"]


def test_preview_of_a_canceled_order_is_not_cancellable(client, read_auth, make_order):
    make_order(cancellation_status="CANCELED")

    assert client.get(PREVIEW, **read_auth).json()["is_cancellable"] is False


def test_cancel_sets_the_status_and_answers_the_order(client, write_auth, make_order):
    make_order(events=[event("CONFIRMED")])

    response = post_cancel(client, write_auth)

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["id"] == "order123"
    assert body["cancellation_status"] == "CANCELED"
    assert body["_links"]["self"]["href"] == "http://testserver" + ORDER
    order = Order.objects.get(external_id="order123")
    assert order.cancel_reason == "CUSTOMER_REQUEST"
    assert order.canceled_by.startswith("client:")
    assert order.canceled_at is not None


def test_cancel_is_recorded_in_the_access_audit(client, write_auth, make_order):
    make_order()

    post_cancel(client, write_auth, HTTP_X_REQUEST_ID="req-77")

    audit = AccessAudit.objects.get()
    assert (audit.channel, audit.action, audit.order_external_id, audit.request_id) == (
        "api",
        "cancel_order",
        "order123",
        "req-77",
    )


def test_cancel_with_a_read_only_token_is_403(client, read_auth, make_order):
    make_order()

    response = post_cancel(client, read_auth)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="erc-ecommerce-customers:write"'
    )
    assert Order.objects.get().cancellation_status == ""


def test_cancel_of_a_shipped_order_is_422(client, write_auth, make_order):
    make_order(events=[event("CONFIRMED"), event("ON_ITS_WAY", day=15)])

    response = post_cancel(client, write_auth)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "order_not_cancellable"
    assert Order.objects.get().cancellation_status == ""


def test_cancel_of_a_canceled_order_is_422(client, write_auth, make_order):
    make_order()
    post_cancel(client, write_auth)

    response = post_cancel(client, write_auth)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "order_not_cancellable"


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"cancel_reason": "BORED"}),
        json.dumps({"cancel_reason": 3}),
        json.dumps({"cancel_reason": ["OTHER"]}),
        json.dumps({"cancel_reason": ""}),
    ],
)
def test_an_unknown_cancel_reason_is_400_naming_it(client, write_auth, make_order, raw):
    make_order()

    response = post_cancel(client, write_auth, raw=raw)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [f["name"] for f in response.json()["fields"]] == ["cancel_reason"]
    assert Order.objects.get().cancellation_status == ""


@pytest.mark.parametrize("raw", [json.dumps(["CUSTOMER_REQUEST"]), "{not json", '"OTHER"', "  "])
def test_a_body_that_is_no_json_object_is_400_naming_the_body(client, write_auth, make_order, raw):
    make_order()

    response = post_cancel(client, write_auth, raw=raw)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [f["name"] for f in response.json()["fields"]] == ["body"]
    assert Order.objects.get().cancellation_status == ""


def test_another_customers_order_cannot_be_canceled(client, write_auth, make_order, make_customer):
    make_order()
    make_order("order-of-jane", customer=make_customer("jane"))

    response = client.post(
        CANCEL.replace("order123", "order-of-jane"),
        data=json.dumps({"cancel_reason": "OTHER"}),
        content_type="application/json",
        **write_auth,
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Order.objects.get(external_id="order-of-jane").cancellation_status == ""


def test_cancel_respects_the_brand_filter(client, write_auth, make_order):
    make_order(brand="acme")

    response = client.post(
        CANCEL + "?brand=other",
        data=json.dumps({"cancel_reason": "OTHER"}),
        content_type="application/json",
        **write_auth,
    )

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_get_on_cancel_is_405(client, write_auth, make_order):
    make_order()

    response = client.get(CANCEL, **write_auth)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "POST, OPTIONS"


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(
    client, write_auth, make_order
):
    make_order()

    first = post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="retry-1")
    second = post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="retry-1")

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert first.content == second.content
    assert AccessAudit.objects.filter(action="cancel_order").count() == 1


def test_without_a_key_a_retry_is_a_422(client, write_auth, make_order):
    make_order()
    post_cancel(client, write_auth)

    assert post_cancel(client, write_auth).status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_an_idempotency_key_reused_for_another_order_is_422_and_cancels_nothing(
    client, write_auth, make_order
):
    make_order()
    make_order("order456")
    post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="k1")

    response = client.post(
        CANCEL.replace("order123", "order456"),
        data=json.dumps({"cancel_reason": "OTHER"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
        **write_auth,
    )

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "idempotency_key_reused"
    assert [f["name"] for f in response.json()["fields"]] == ["Idempotency-Key"]
    assert Order.objects.get(external_id="order456").cancellation_status == ""


def test_an_idempotency_key_reused_with_another_body_is_422(client, write_auth, make_order):
    make_order()
    first = post_cancel(client, write_auth, {"cancel_reason": "OTHER"}, HTTP_IDEMPOTENCY_KEY="k")

    response = post_cancel(
        client, write_auth, {"cancel_reason": "DUPLICATE_ORDER"}, HTTP_IDEMPOTENCY_KEY="k"
    )

    assert first.status_code == HTTPStatus.OK
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.get().cancel_reason == "OTHER"


def test_an_idempotency_key_reused_with_another_brand_filter_is_422(client, write_auth, make_order):
    make_order(brand="Casa Lisboa")
    post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="k")

    response = client.post(
        CANCEL + "?brand=Casa%20Lisboa",
        data=json.dumps({"cancel_reason": "CUSTOMER_REQUEST"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
        **write_auth,
    )

    assert response.json()["code"] == "idempotency_key_reused"


def test_a_retry_with_the_same_body_written_differently_is_replayed(client, write_auth, make_order):
    make_order()
    post_cancel(client, write_auth, raw='{"cancel_reason": "OTHER"}', HTTP_IDEMPOTENCY_KEY="k")

    retry = post_cancel(
        client, write_auth, raw='{ "cancel_reason":"OTHER" }', HTTP_IDEMPOTENCY_KEY="k"
    )

    assert retry.status_code == HTTPStatus.OK
    assert retry["Idempotent-Replayed"] == "true"


def test_a_keyed_request_refused_with_400_leaves_the_key_free(client, write_auth, make_order):
    make_order()
    refused = post_cancel(client, write_auth, {"cancel_reason": "NOPE"}, HTTP_IDEMPOTENCY_KEY="k")

    corrected = post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="k")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert corrected.status_code == HTTPStatus.OK
    assert "Idempotent-Replayed" not in corrected


def test_an_idempotency_key_expires_after_24_hours(client, write_auth, make_order):
    make_order()
    make_order("order456")
    post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="k")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))

    response = client.post(
        CANCEL.replace("order123", "order456"),
        data=json.dumps({"cancel_reason": "OTHER"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
        **write_auth,
    )

    assert response.status_code == HTTPStatus.OK
    assert IdempotencyRecord.objects.get().path.endswith("/order456/cancel")


def test_the_clear_command_deletes_only_expired_keys(run_command, client, write_auth, make_order):
    make_order()
    make_order("order456")
    post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    client.post(
        CANCEL.replace("order123", "order456"),
        data=json.dumps({"cancel_reason": "OTHER"}),
        content_type="application/json",
        **write_auth,
    )
    IdempotencyRecord.objects.create(
        client_id="c", key="fresh", method="POST", path="/x", status_code=200, body=b"{}"
    )

    status, out, _ = run_command("clear_idempotency_keys")

    assert (status, out) == (0, "Deleted 1 expired idempotency key(s).\n")
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_malformed_idempotency_key_is_400(client, write_auth, make_order):
    make_order()

    response = post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY="x" * 300)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize(
    "key", ["4111111111111111", "4111.1111.1111.1111", "k-4111-1111-1111-1111"]
)
def test_a_card_number_sent_as_idempotency_key_is_refused_not_stored(
    client, write_auth, make_order, key
):
    make_order()

    response = post_cancel(client, write_auth, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [f["name"] for f in response.json()["fields"]] == ["Idempotency-Key"]
    assert "4111" not in response.content.decode()
    assert not IdempotencyRecord.objects.exists()
    assert not Order.objects.filter(cancellation_status="CANCELED").exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_cancels_exactly_one_succeeds(bearer, make_order):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with real concurrent transactions (CI's PostgreSQL)")
    make_order()
    auth = bearer(READ, WRITE)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def cancel() -> None:
        barrier.wait()
        statuses.append(post_cancel(Client(), auth).status_code)
        connection.close()

    threads = [threading.Thread(target=cancel) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [HTTPStatus.OK, HTTPStatus.UNPROCESSABLE_ENTITY]
    assert AccessAudit.objects.filter(action="cancel_order").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_idempotency_key_raced_on_two_orders_cancels_only_one(bearer, make_order):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with real concurrent transactions (CI's PostgreSQL)")
    make_order()
    make_order("order456")
    auth = bearer(READ, WRITE)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def cancel(order_id: str) -> None:
        barrier.wait()
        response = Client().post(
            CANCEL.replace("order123", order_id),
            data=json.dumps({"cancel_reason": "OTHER"}),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="raced",
            **auth,
        )
        statuses.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=cancel, args=(o,)) for o in ("order123", "order456")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [HTTPStatus.OK, HTTPStatus.UNPROCESSABLE_ENTITY]
    assert Order.objects.filter(cancellation_status="CANCELED").count() == 1


def test_cancel_appends_a_timeline_event_without_the_actor(client, write_auth, make_order):
    make_order(events=[event("CONFIRMED")])

    body = post_cancel(client, write_auth, {"cancel_reason": "DUPLICATE_ORDER"}).json()

    assert body["order_extra_info"]["latest_status_info"]["generic_type"] == "CONFIRMED"
    assert body["order_extra_info"]["latest_status_info"]["description"] == (
        "Canceled: Duplicate order"
    )
    assert "client:" not in json.dumps(body)
