from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from orders.models import AccessAudit, Order
from tests.conftest import READ, WRITE
from tests.test_import_orders import VISA_TEST_PAN

ORDER = "/erc/ecommerce/customers/customer123/orders/order123"
CANCEL = ORDER + "/cancel"


@pytest.fixture
def write_auth(bearer):
    return bearer(READ, WRITE)


def post(client, auth, raw: str, **headers):
    return client.post(CANCEL, data=raw, content_type="application/json", **auth, **headers)


def canceled() -> Order:
    return Order.objects.get(external_id="order123")


# --- the preview ------------------------------------------------------------------------------


def test_the_preview_has_talkdesks_required_fields(client, read_auth, make_order):
    make_order()

    body = client.get(ORDER + "/cancel-preview", **read_auth).json()

    assert (body["use_new_cancel_flow"], body["supports_refund_on_cancel"]) == (False, False)
    assert body["refundable_items"] == []


# --- the reason -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "{}", '{"cancel_reason": null}'])
def test_without_a_reason_the_order_is_canceled_for_other(client, write_auth, make_order, raw):
    make_order()

    response = post(client, write_auth, raw)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["cancellation_status"] == "CANCELED"
    assert canceled().cancel_reason == "OTHER"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("other", "OTHER"),
        ("Customer_Request", "CUSTOMER_REQUEST"),
        ("SUSPECTED_FRAUD", "SUSPECTED_FRAUD"),
    ],
)
def test_the_reason_is_matched_in_any_case(client, write_auth, make_order, given, stored):
    make_order()

    response = post(client, write_auth, json.dumps({"cancel_reason": given}))

    assert response.status_code == HTTPStatus.OK
    assert canceled().cancel_reason == stored


# --- the recorded details ---------------------------------------------------------------------


def test_staff_note_restock_notify_and_refund_method_are_recorded(client, write_auth, make_order):
    make_order()
    body = {
        "cancel_reason": "other",
        "staff_note": "Customer called: wrong size.",
        "restock": True,
        "notify_customer": False,
        "refund_method": "ORIGINAL_PAYMENT_METHOD",
    }

    response = post(client, write_auth, json.dumps(body))

    order = canceled()
    assert response.status_code == HTTPStatus.OK
    assert (
        order.cancel_staff_note,
        order.cancel_restock,
        order.cancel_notify_customer,
        order.cancel_refund_method,
    ) == ("Customer called: wrong size.", True, False, "ORIGINAL_PAYMENT_METHOD")


def test_details_left_out_or_null_are_recorded_as_not_given(client, write_auth, make_order):
    make_order()

    post(client, write_auth, json.dumps({"restock": None, "staff_note": None}))

    order = canceled()
    assert (order.cancel_staff_note, order.cancel_restock, order.cancel_notify_customer) == (
        "",
        None,
        None,
    )
    assert order.cancel_refund_method == ""


def test_the_staff_note_stays_out_of_the_api_body(client, write_auth, make_order):
    make_order()

    response = post(client, write_auth, json.dumps({"staff_note": "internal: call back"}))

    assert "internal: call back" not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"restock": "true"}, ["restock"]),
        ({"notify_customer": 1}, ["notify_customer"]),
        ({"staff_note": 5}, ["staff_note"]),
        ({"staff_note": "x" * 501}, ["staff_note"]),
        ({"staff_note": "a\x00b"}, ["staff_note"]),
        ({"refund_method": {"store_credit": True}}, ["refund_method"]),
        ({"refund_method": "x" * 65}, ["refund_method"]),
        ({"refund": True}, ["refund"]),
        (
            {"cancel_reason": "nope", "restock": "yes", "notify_customer": "no", "extra": 1},
            ["extra", "cancel_reason", "restock", "notify_customer"],
        ),
    ],
)
def test_bad_fields_are_400s_naming_each_and_nothing_changes(
    client, write_auth, make_order, body, names
):
    make_order()

    response = post(client, write_auth, json.dumps(body))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [field["name"] for field in response.json()["fields"]] == names
    assert canceled().cancellation_status == ""
    assert not AccessAudit.objects.filter(action="cancel_order").exists()


@pytest.mark.parametrize("name", ["staff_note", "refund_method"])
def test_a_card_number_in_a_note_is_refused_never_saved_never_echoed(
    client, write_auth, make_order, caplog, name
):
    make_order()

    response = post(client, write_auth, json.dumps({name: f"paid with {VISA_TEST_PAN}"}))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [field["name"] for field in response.json()["fields"]] == [name]
    assert VISA_TEST_PAN not in response.content.decode() + caplog.text
    assert canceled().cancellation_status == ""


def test_a_card_number_as_a_field_name_is_not_echoed(client, write_auth, make_order):
    make_order()

    response = post(client, write_auth, json.dumps({VISA_TEST_PAN: True}))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert [field["name"] for field in response.json()["fields"]] == ["<redacted>"]
    assert VISA_TEST_PAN not in response.content.decode()


# --- idempotency keys are bound to the body ---------------------------------------------------


def test_a_key_sent_again_with_the_same_body_replays(client, write_auth, make_order):
    make_order()
    raw = json.dumps({"cancel_reason": "other"})

    first = post(client, write_auth, raw, HTTP_IDEMPOTENCY_KEY="k-1")
    second = post(client, write_auth, raw, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second["Idempotent-Replayed"] == "true"


def test_a_key_sent_again_with_another_body_is_422(client, write_auth, make_order):
    make_order()
    post(client, write_auth, json.dumps({"cancel_reason": "other"}), HTTP_IDEMPOTENCY_KEY="k-1")

    response = post(
        client, write_auth, json.dumps({"cancel_reason": "other", "restock": True}),
        HTTP_IDEMPOTENCY_KEY="k-1",
    )  # fmt: skip

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "idempotency_key_reused"
    assert canceled().cancel_restock is None
