"""The Shopify mapping, on Shopify's own payloads (tests/fixtures/shopify/README.md)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orders import services
from orders.api.shapes import shipment_body
from orders.documents import codec, export_document
from orders.documents.body import customer_body, order_body
from orders.integrations.shopify.mapping import (
    MappingError,
    customer_external_url,
    order_document,
    order_updated_at,
)
from orders.models import Customer, Order, Shipment
from orders.rules.cards import PAN_DESCRIPTION

FIXTURES = Path(__file__).parent / "fixtures" / "shopify"
SHOP = "casa-lisboa.myshopify.com"
BRAND = "Casa Lisboa"
VISA_TEST_PAN = "4111111111111111"
SAMPLE_ORDER_ID = "820982911946154508"


def payload(name: str) -> dict:
    data = json.loads((FIXTURES / name).read_text())
    # The Python client's fixtures wrap the object as the REST API answers it.
    for envelope in ("order", "fulfillment", "refund"):
        if set(data) == {envelope}:
            return data[envelope]
    return data


def document(name: str, **related) -> dict:
    return order_document(payload(name), shop_domain=SHOP, brand=BRAND, **related)


def sample_with_parcel_and_refund(name: str = "orders_create.json") -> dict:
    return document(
        name,
        fulfillments=[payload("fulfillments_create.json")],
        refunds=[payload("refunds_create.json")],
    )


def imported(doc: dict) -> dict:
    result = services.orders_import(documents=[doc])
    assert result.errors == []
    return result.summary()


def wire(order_id: str) -> dict:
    """The order as the API serves it (exact money: codec writes the JSON numbers)."""
    order = Order.objects.get(external_id=order_id)
    return json.loads(codec.dumps(order_body(order)), parse_float=Decimal)


def parcels(order_id: str) -> list[dict]:
    shipments = Shipment.objects.filter(order__external_id=order_id).order_by("position")
    return [shipment_body(shipment) for shipment in shipments]


ORDER_FIXTURES = [
    "orders_create.json",
    "orders_updated.json",
    "orders_paid.json",
    "orders_cancelled.json",
    "order_python_api.json",
    "variant_eur.json",
    "variant_jpy.json",
    "variant_portugal.json",
    "variant_split_fulfillments.json",
    "variant_cancelled.json",
    "variant_partial_refund.json",
    "variant_guest.json",
    "variant_payment_details.json",
    "variant_no_payment_details.json",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ORDER_FIXTURES)
def test_every_payload_maps_to_a_document_the_importer_takes_and_keeps(name):
    doc = document(name)

    assert imported(copy.deepcopy(doc)) == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert imported(doc) == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("order", "fulfillment", "refund"),
    [
        ("orders_create.json", "fulfillments_create.json", "refunds_create.json"),
        ("orders_updated.json", "fulfillments_update.json", "refunds_create.json"),
        ("order_python_api.json", "fulfillment_python_api.json", "refund_python_api.json"),
    ],
)
def test_an_order_with_its_fulfillment_and_refund_imports_and_reapplies_unchanged(
    order, fulfillment, refund
):
    related = {"fulfillments": [payload(fulfillment)], "refunds": [payload(refund)]}

    assert imported(document(order, **related))["created"] == 1
    assert imported(document(order, **related))["unchanged"] == 1


# --- Shopify's published sample ---


@pytest.mark.django_db
def test_the_sample_order_keeps_shopifys_ids_and_number():
    imported(document("orders_create.json"))

    body = wire(SAMPLE_ORDER_ID)
    assert (body["id"], body["order_number"], body["customer_id"], body["brand"]) == (
        SAMPLE_ORDER_ID,
        "#9999",
        "115310627314723954",
        BRAND,
    )
    assert body["purchase_datetime"] == "2022-01-01T00:00:00.000Z"  # 19:00 at -05:00
    assert [item["id"] for item in document("orders_create.json")["items"]] == [
        "487817672276298554",
        "789012345678901234",
        "890123456789012345",
        "976318377106520349",
        "315789986012684393",
    ]


@pytest.mark.django_db
def test_the_sample_orders_money_is_exact():
    imported(document("orders_create.json"))

    assert wire(SAMPLE_ORDER_ID)["price_summary"] == {
        "original_total_amount": {"value": Decimal("414.95"), "currency": "USD"},
        "discounts_amount": {"value": 20, "currency": "USD"},
        "shipping_amount": {"value": 10, "currency": "USD"},
        "taxes_amount": {"value": 0, "currency": "USD"},
        "final_total_amount": {"value": Decimal("404.95"), "currency": "USD"},
    }


@pytest.mark.django_db
def test_a_region_gets_its_iso_code_and_a_phone_that_is_no_phone_is_left_out():
    imported(document("orders_create.json"))

    assert wire(SAMPLE_ORDER_ID)["shipping_address"] == {
        "first_name": "Steve",
        "last_name": "Shipper",
        "address": "123 Shipping Street",
        "zip_code": "40003",
        "city": "Shippington",
        "region_code": "US-KY",
        "country_code": "US",
        "default": False,
    }  # "555-555-SHIP" is dropped, not guessed at


@pytest.mark.django_db
def test_the_sample_is_canceled_with_shopifys_reason_on_the_timeline():
    imported(document("orders_cancelled.json"))

    order = Order.objects.get(external_id=SAMPLE_ORDER_ID)
    body = wire(SAMPLE_ORDER_ID)
    assert body["cancellation_status"] == "CANCELED"
    assert body["payment_status"] == "VOIDED"
    assert body["status"] == "cancelled"
    assert body["is_cancellable"] is False
    assert body["order_extra_info"]["latest_status_info"]["description"] == (
        "Canceled in Shopify: Customer changed or canceled order."
    )
    assert order.status_events.count() == 2  # placed, canceled


@pytest.mark.django_db
def test_the_sample_fulfillment_becomes_a_parcel_with_its_tracking_link():
    imported(sample_with_parcel_and_refund())

    [parcel] = parcels(SAMPLE_ORDER_ID)
    assert parcel["shipping_provider"] == "UPS"
    assert parcel["tracking_info"] == {
        "tracking_number": "1z827wk74630",
        "tracking_carrier": "UPS",
        "external_url": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630",
    }
    assert parcel["latest_status_info"]["type"] == "CONFIRMED"
    assert [(item["id"], item["quantity"]) for item in parcel["items"]] == [
        ("487817672276298554", 1),
        ("789012345678901234", 1),
        ("890123456789012345", 1),
        ("976318377106520349", 1),
        ("315789986012684393", 1),
    ]
    assert wire(SAMPLE_ORDER_ID)["fulfillment_status"] == "FULFILLED"


@pytest.mark.django_db
def test_the_sample_refunds_add_up_to_their_transactions():
    imported(sample_with_parcel_and_refund())

    summary = wire(SAMPLE_ORDER_ID)["price_summary"]
    assert summary["total_refunded_amount"] == {"value": 85, "currency": "USD"}  # 75.00 + 10.00
    assert summary["net_payment_amount"] == {"value": Decimal("319.95"), "currency": "USD"}


@pytest.mark.django_db
def test_the_customer_is_shopifys_customer_with_its_admin_page():
    imported(document("orders_create.json"))

    customer = Customer.objects.get(external_id="115310627314723954")
    assert customer_body(customer) == {
        "id": "115310627314723954",
        "first_name": "John",
        "last_name": "Smith",
        "email": "john@example.com",
        "brand": BRAND,
        "integration_info": {
            "external_url": "https://casa-lisboa.myshopify.com/admin/customers/115310627314723954",
            "type": "SHOPIFY",
        },
    }


# --- the official Python client's fixtures (older API: payment_details) ---


@pytest.mark.django_db
def test_payment_details_give_the_brand_and_last_four_only():
    imported(document("order_python_api.json"))

    assert wire("450789469")["payment_details"] == {
        "card_brand": "Visa",
        "card_number": "**** **** **** 4242",
        "is_refunded": False,
    }


@pytest.mark.django_db
def test_a_given_fulfillment_replaces_the_orders_own_with_the_same_id():
    # The order lists fulfillment 255858046 as failed; the fulfillments/update says pending.
    own = document("order_python_api.json")
    assert "shipments" not in own  # a failed fulfillment shipped nothing

    imported(
        document("order_python_api.json", fulfillments=[payload("fulfillment_python_api.json")])
    )

    [parcel] = parcels("450789469")
    assert parcel["id"] == "255858046"
    # Its http link to a search page is no https tracking link: left out, and the data set
    # has none for a number this short.
    assert parcel["tracking_info"] == {
        "tracking_number": "1Z2345",
        "tracking_carrier": "null-company",
    }


@pytest.mark.django_db
def test_a_partial_refund_in_the_clients_fixture_is_counted_exactly():
    imported(document("order_python_api.json", refunds=[payload("refund_python_api.json")]))

    assert wire("450789469")["price_summary"]["total_refunded_amount"] == {
        "value": 209,
        "currency": "USD",
    }


# --- variants ---


@pytest.mark.django_db
def test_euro_amounts_are_exact():
    imported(document("variant_eur.json"))

    body = wire("5860000000001")
    assert body["price_summary"] == {
        "original_total_amount": {"value": Decimal("62.3"), "currency": "EUR"},
        "discounts_amount": {"value": Decimal("6.23"), "currency": "EUR"},
        "shipping_amount": {"value": Decimal("4.99"), "currency": "EUR"},
        "taxes_amount": {"value": Decimal("11.42"), "currency": "EUR"},
        "final_total_amount": {"value": Decimal("61.06"), "currency": "EUR"},
    }
    assert b'"value":61.06,' in codec.dumps(
        order_body(Order.objects.get(external_id="5860000000001"))
    )
    assert body["shipping_address"]["region_code"] == "DE-BE"
    assert body["shipping_address"]["phone_number"] == "+4930901820"


@pytest.mark.django_db
def test_yen_amounts_have_no_decimals():
    imported(document("variant_jpy.json"))

    order = Order.objects.get(external_id="5860000000003")
    raw = codec.dumps(order_body(order))
    assert b'"final_total_amount":{"value":13600,"currency":"JPY"}' in raw
    assert b'"shipping_amount":{"value":800,"currency":"JPY"}' in raw
    assert [item.price for item in order.items.order_by("position")] == [3800, 4500]
    assert wire("5860000000003")["shipping_address"]["region_code"] == "JP-13"


def test_yen_written_with_zero_decimals_is_the_same_amount():
    order = payload("variant_jpy.json") | {"total_price": "13600.00"}

    doc = order_document(order, shop_domain=SHOP, brand=BRAND)

    assert doc["price_summary"]["final_total_amount"] == {
        "value": Decimal(13600),
        "currency": "JPY",
    }
    assert str(doc["price_summary"]["final_total_amount"]["value"]) == "13600"


@pytest.mark.django_db
def test_a_portuguese_address_gets_pt_11_and_e164_phones():
    imported(document("variant_portugal.json"))

    body = wire("5860000000002")
    assert body["shipping_address"] == {
        "first_name": "Ana",
        "last_name": "Silva",
        "phone_number": "+351912345678",
        "address": "Rua Augusta 27, 3.º Esq.",
        "zip_code": "1100-048",
        "city": "Lisboa",
        "region_code": "PT-11",
        "country_code": "PT",
        "default": False,
    }
    assert body["billing_address"]["phone_number"] == "+351213421234"
    customer = Customer.objects.get(external_id="7000000000002")
    assert customer.phone_number == "+351912345678"


def test_a_province_code_without_its_country_gets_one():
    order = payload("variant_portugal.json")
    order["shipping_address"]["province_code"] = "11"

    doc = order_document(order, shop_domain=SHOP, brand=BRAND)

    assert doc["shipping_address"]["region_code"] == "PT-11"


def test_a_postal_code_without_its_separator_gets_the_countrys():
    order = payload("variant_portugal.json")
    order["shipping_address"]["zip"] = "1100048"

    doc = order_document(order, shop_domain=SHOP, brand=BRAND)

    assert doc["shipping_address"]["zip_code"] == "1100-048"


@pytest.mark.django_db
def test_a_postal_code_of_another_shape_is_left_out_and_the_order_still_imported():
    order = payload("variant_portugal.json")
    order["shipping_address"]["zip"] = "LX-1"

    doc = order_document(order, shop_domain=SHOP, brand=BRAND)

    assert "zip_code" not in doc["shipping_address"]
    assert imported(doc) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}


def test_a_province_that_is_no_iso_region_is_left_out():
    order = payload("variant_portugal.json")
    order["shipping_address"]["province_code"] = "LX"

    doc = order_document(order, shop_domain=SHOP, brand=BRAND)

    assert "region_code" not in doc["shipping_address"]
    assert doc["shipping_address"]["country_code"] == "PT"


@pytest.mark.django_db
def test_split_fulfillments_are_two_parcels_with_tracking_links():
    imported(document("variant_split_fulfillments.json"))

    ups, usps = parcels("5860000000004")
    assert (ups["id"], ups["shipping_provider"], ups["latest_status_info"]["type"]) == (
        "4100000000002",
        "UPS",
        "DELIVERED",
    )
    assert ups["tracking_info"]["external_url"] == (
        "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784"
    )
    assert [(item["id"], item["quantity"]) for item in ups["items"]] == [("14100000000005", 2)]
    assert (usps["id"], usps["latest_status_info"]["type"]) == ("4100000000003", "IN_TRANSIT")
    # Shopify sent no link: the carrier data set builds one from the number.
    assert usps["tracking_info"]["external_url"] == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428497"
    )
    assert [(item["id"], item["quantity"]) for item in usps["items"]] == [("14100000000006", 1)]
    body = wire("5860000000004")
    assert (body["fulfillment_status"], body["delivery_status"]) == ("FULFILLED", "IN_TRANSIT")


def test_a_cancelled_fulfillment_is_no_parcel():
    doc = document("variant_split_fulfillments.json")

    assert "4100000000001" not in [parcel["id"] for parcel in doc["shipments"]]


def test_the_timeline_says_when_the_order_was_placed_paid_and_fulfilled():
    doc = document("variant_split_fulfillments.json")

    assert [
        (event["generic_type"], event.get("detailed_type"), event["status_date_time"])
        for event in doc["status_history"]
    ] == [
        ("CONFIRMED", "CONFIRMED", "2026-03-02T14:00:00.000Z"),  # placed
        ("CONFIRMED", "CONFIRMED", "2026-03-02T14:00:00.000Z"),  # paid
        ("ON_ITS_WAY", None, "2026-03-03T15:00:00.000Z"),  # fulfilled: UPS
        ("ON_ITS_WAY", None, "2026-03-04T16:00:00.000Z"),  # fulfilled: USPS
        ("DELIVERED", "DELIVERED", "2026-03-05T19:20:00.000Z"),
        ("ON_ITS_WAY", "IN_TRANSIT", "2026-03-06T21:30:00.000Z"),
    ]


def test_a_fulfillment_with_two_tracking_numbers_is_two_parcels():
    order = payload("variant_split_fulfillments.json")
    fulfillment = order["fulfillments"][1]
    fulfillment["tracking_numbers"] = ["1Z999AA10123456784", "1Z12345E0205271688"]
    fulfillment["tracking_urls"] = []

    shipments = order_document(order, shop_domain=SHOP, brand=BRAND)["shipments"]

    assert [(s["id"], s.get("tracking_number"), len(s["items"])) for s in shipments[:2]] == [
        ("4100000000002", "1Z999AA10123456784", 1),
        ("4100000000002-2", "1Z12345E0205271688", 0),
    ]


@pytest.mark.django_db
def test_a_parcel_never_holds_more_than_is_left_unshipped():
    order = payload("variant_split_fulfillments.json")
    order["fulfillments"][0]["status"] = "success"  # the whole order, before the two parcels

    doc = order_document(order, shop_domain=SHOP, brand=BRAND)

    assert [(parcel["id"], parcel["items"]) for parcel in doc["shipments"]] == [
        (
            "4100000000001",
            [
                {"item_id": "14100000000005", "quantity": 2},
                {"item_id": "14100000000006", "quantity": 1},
            ],
        ),
        ("4100000000002", []),
        ("4100000000003", []),
    ]
    assert imported(doc)["created"] == 1


def test_a_tracking_link_holding_a_card_number_is_left_out():
    order = payload("variant_split_fulfillments.json")
    order["fulfillments"][1]["tracking_urls"] = [f"https://track.example/?ref={VISA_TEST_PAN}"]

    ups = order_document(order, shop_domain=SHOP, brand=BRAND)["shipments"][0]

    assert ups["tracking_number"] == "1Z999AA10123456784"
    assert "tracking_url" not in ups


def test_a_tracking_link_without_a_number_is_kept():
    order = payload("variant_split_fulfillments.json")
    fulfillment = order["fulfillments"][2]
    fulfillment |= {"tracking_number": None, "tracking_numbers": []}
    fulfillment["tracking_urls"] = ["https://local-courier.example/parcel/AB12"]

    usps = order_document(order, shop_domain=SHOP, brand=BRAND)["shipments"][1]

    assert usps["tracking_url"] == "https://local-courier.example/parcel/AB12"
    assert "tracking_number" not in usps


@pytest.mark.django_db
def test_a_cancellation_keeps_the_stage_the_order_had_reached():
    imported(document("variant_cancelled.json"))

    body = wire("5860000000005")
    assert body["cancellation_status"] == "CANCELED"
    assert body["order_extra_info"]["latest_status_info"] == {
        "generic_type": "CONFIRMED",
        "detailed_type": "CONFIRMED",
        "status_date_time": "2026-03-02T17:00:00.000Z",
        "description": "Canceled in Shopify: Items unavailable.",
    }
    assert body["payment_status"] == "REFUNDED"
    assert body["payment_details"] == {"is_refunded": True}
    assert body["price_summary"]["total_refunded_amount"] == {
        "value": Decimal("642.81"),
        "currency": "USD",
    }


@pytest.mark.django_db
def test_a_partial_refund_counts_only_the_money_that_went_back():
    imported(document("variant_partial_refund.json"))

    body = wire("5860000000006")
    assert body["payment_status"] == "PARTIALLY_REFUNDED"
    assert body["payment_details"] == {"is_refunded": False}
    assert body["price_summary"]["total_refunded_amount"] == {
        "value": Decimal("10.5"),
        "currency": "EUR",
    }  # the failed attempt of 10.50 is not counted
    assert body["price_summary"]["net_payment_amount"] == {
        "value": Decimal("50.56"),
        "currency": "EUR",
    }


@pytest.mark.django_db
def test_a_guest_checkout_is_a_customer_of_its_own_named_by_the_billing_address():
    imported(document("variant_guest.json"))

    customer = Customer.objects.get(external_id="guest-5860000000007")
    assert customer_body(customer) == {
        "id": "guest-5860000000007",
        "first_name": "Lena",
        "last_name": "Vogel",
        "email": "guest.buyer@example.com",
        "phone_number": "+351913000111",
        "brand": BRAND,
    }
    assert wire("5860000000007")["customer_id"] == "guest-5860000000007"
    # A guest has no page in the shop's admin to link to.
    assert customer_external_url(shop_domain=SHOP, customer_id=customer.external_id) is None


def test_a_guest_gets_the_same_customer_id_every_time():
    first = document("variant_guest.json")
    again = document("variant_guest.json")

    assert first["customer_id"] == again["customer_id"] == "guest-5860000000007"


@pytest.mark.django_db
def test_nothing_of_the_card_but_brand_and_last_four_is_stored():
    imported(document("variant_payment_details.json"))

    order = Order.objects.get(external_id="5860000000008")
    stored = codec.dumps(export_document(order)).decode()
    assert wire("5860000000008")["payment_details"] == {
        "card_brand": "Visa",
        "card_number": "**** **** **** 4242",
        "is_refunded": False,
    }
    for value in ("424242", "2028", "Ana Silva", "•"):  # BIN, expiry, holder, Shopify's mask
        assert value not in stored


@pytest.mark.django_db
def test_without_payment_details_there_is_no_card():
    imported(document("variant_no_payment_details.json"))

    assert wire("5860000000009")["payment_details"] == {"is_refunded": False}


def test_a_full_card_number_from_shopify_keeps_only_its_last_four():
    order = payload("variant_payment_details.json")
    order["payment_details"]["credit_card_number"] = VISA_TEST_PAN

    doc = order_document(order, shop_domain=SHOP, brand=BRAND)

    assert doc["payment_details"]["card_number"] == "**** **** **** 1111"
    assert VISA_TEST_PAN not in json.dumps(doc, default=str)


@pytest.mark.django_db
def test_a_card_number_in_shopify_text_is_refused_by_the_import_and_not_echoed():
    order = payload("variant_eur.json")
    order["line_items"][0]["name"] = f"Gift for {VISA_TEST_PAN}"

    result = services.orders_import(
        documents=[order_document(order, shop_domain=SHOP, brand=BRAND)]
    )

    assert result.summary()["rejected"] == 1
    assert [(error.field, error.description) for error in result.errors] == [
        ("items.0.name", PAN_DESCRIPTION)
    ]
    assert VISA_TEST_PAN not in repr(result.errors)
    assert not Order.objects.exists()


def test_a_customer_shopify_sends_without_a_name_is_named_by_the_billing_address():
    order = payload("variant_eur.json")
    order["customer"] |= {"first_name": None, "last_name": None, "email": None}

    customer = order_document(order, shop_domain=SHOP, brand=BRAND)["customer"]

    assert (customer["id"], customer["first_name"], customer["last_name"], customer["email"]) == (
        "7000000000001",
        "Lena",
        "Vogel",
        "lena.vogel@example.com",  # the order's own email
    )


def test_a_refund_paid_back_in_the_customers_currency_counts_in_shop_money():
    order = payload("variant_partial_refund.json")
    refund = order["refunds"][0]
    for transaction in refund["transactions"]:
        transaction |= {"amount": "11.40", "currency": "USD"}
    refund["order_adjustments"] = [
        {
            "kind": "shipping_refund",
            "amount": "-5.40",
            "amount_set": {
                "shop_money": {"amount": "-4.99", "currency_code": "EUR"},
                "presentment_money": {"amount": "-5.40", "currency_code": "USD"},
            },
        }
    ]

    summary = order_document(order, shop_domain=SHOP, brand=BRAND)["price_summary"]

    # The line's 10.50 EUR and the shipping's 4.99 EUR, not the dollars.
    assert summary["total_refunded_amount"] == {"value": Decimal("15.49"), "currency": "EUR"}


def test_a_refund_whose_transactions_failed_gave_nothing_back():
    order = payload("variant_partial_refund.json")
    for transaction in order["refunds"][0]["transactions"]:
        transaction["status"] = "failure"

    summary = order_document(order, shop_domain=SHOP, brand=BRAND)["price_summary"]

    assert summary["total_refunded_amount"] == {"value": Decimal("0.00"), "currency": "EUR"}


def test_an_amount_only_in_shop_money_is_read_from_it():
    order = order_without("total_price")  # total_price_set is still there

    summary = order_document(order, shop_domain=SHOP, brand=BRAND)["price_summary"]

    assert summary["final_total_amount"] == {"value": Decimal("61.06"), "currency": "EUR"}


# --- broken payloads ---


def order_without(*fields: str) -> dict:
    order = payload("variant_eur.json")
    for field in fields:
        del order[field]
    return order


BROKEN = [
    pytest.param(order_without("id"), "The order has no id.", id="no-id"),
    pytest.param(
        payload("variant_eur.json") | {"id": "abc"}, "id is not a Shopify id.", id="bad-id"
    ),
    pytest.param(order_without("currency"), "The order has no currency.", id="no-currency"),
    pytest.param(
        payload("variant_eur.json") | {"currency": "EURO"},
        "The order's currency is not an ISO 4217 code.",
        id="bad-currency",
    ),
    pytest.param(
        payload("variant_eur.json") | {"total_price": "61,06"},
        "total_price is not an amount of money.",
        id="comma-money",
    ),
    pytest.param(
        payload("variant_eur.json") | {"total_price": "sixty"},
        "total_price is not an amount of money.",
        id="word-money",
    ),
    pytest.param(
        payload("variant_eur.json") | {"total_discounts": "-6.23"},
        "total_discounts is not an amount of money.",
        id="negative-money",
    ),
    pytest.param(
        payload("variant_eur.json") | {"total_price": "61.065"},
        "total_price is not an amount of money in EUR.",
        id="too-many-decimals",
    ),
    pytest.param(
        payload("variant_jpy.json") | {"total_price": "13600.50"},
        "total_price is not an amount of money in JPY.",
        id="yen-with-cents",
    ),
    pytest.param(
        order_without("total_price", "total_price_set"),
        "The order has no total_price.",
        id="no-total-price",
    ),
    pytest.param(
        payload("variant_eur.json") | {"created_at": "yesterday"},
        "created_at is not an RFC 3339 timestamp.",
        id="bad-time",
    ),
    pytest.param(
        payload("variant_eur.json") | {"line_items": {"id": 1}},
        "line_items is not a JSON array.",
        id="items-not-a-list",
    ),
    pytest.param(["not", "an", "order"], "The order is not a JSON object.", id="not-an-object"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("order", "reason"), BROKEN)
def test_a_broken_payload_is_a_mapping_error_with_a_clear_reason(order, reason):
    with pytest.raises(MappingError) as caught:
        order_document(order, shop_domain=SHOP, brand=BRAND)

    assert caught.value.reason == reason
    assert str(caught.value) == reason
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


def test_a_mapping_error_never_repeats_the_value():
    order = payload("variant_eur.json") | {"total_price": f"{VISA_TEST_PAN}x"}

    with pytest.raises(MappingError) as caught:
        order_document(order, shop_domain=SHOP, brand=BRAND)

    assert VISA_TEST_PAN not in caught.value.reason


def test_more_than_an_order_line_holds_is_a_mapping_error():
    order = payload("variant_eur.json")
    order["line_items"][0]["quantity"] = 101

    with pytest.raises(MappingError, match="over 100"):
        order_document(order, shop_domain=SHOP, brand=BRAND)


# --- updated_at ---


def test_updated_at_is_the_utc_moment():
    assert order_updated_at(payload("variant_split_fulfillments.json")) == datetime(
        2026, 3, 6, 21, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("value", [None, "", "last week", 42])
def test_updated_at_is_none_without_a_valid_one(value):
    assert order_updated_at(payload("variant_eur.json") | {"updated_at": value}) is None
    assert order_updated_at(order_without("updated_at")) is None
