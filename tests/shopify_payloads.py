"""Small Shopify payloads built in code, for the connector's delivery tests (the published
samples are in tests/fixtures/shopify/)."""

from __future__ import annotations

import json
from typing import Any

from orders.integrations.shopify.signing import sign

SHOP = "casa-lisboa.myshopify.com"
SECRET = "whsec-casa-lisboa-0123456789abcdef"
URL = "/integrations/shopify/webhooks"
ORDER_ID = 820982911946154508
LINE_ID = 866550311766439020


def order(*, order_id: int = ORDER_ID, updated_at: str = "2026-11-30T10:00:00-05:00", **extra):
    payload: dict[str, Any] = {
        "id": order_id,
        "name": "#1001",
        "currency": "EUR",
        "created_at": "2026-11-30T09:00:00-05:00",
        "updated_at": updated_at,
        "email": "ana.silva@example.com",
        "financial_status": "paid",
        "customer": {
            "id": 115310627314723954,
            "first_name": "Ana",
            "last_name": "Silva",
            "email": "ana.silva@example.com",
        },
        "total_line_items_price": "20.00",
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "total_price": "25.00",
        "shipping_lines": [{"id": 1, "title": "Standard", "price": "5.00"}],
        "line_items": [
            {"id": LINE_ID, "title": "Canvas shoe", "sku": "SH-1", "quantity": 1, "price": "20.00"}
        ],
        "shipping_address": {
            "first_name": "Ana",
            "last_name": "Silva",
            "address1": "Rua Augusta 10",
            "city": "Lisboa",
            "zip": "1100-053",
            "country_code": "PT",
            "province_code": "11",
        },
        "fulfillments": [],
        "refunds": [],
    }
    payload.update(extra)
    return payload


def fulfillment(*, fulfillment_id: int = 255858046, order_id: int = ORDER_ID, **extra):
    payload: dict[str, Any] = {
        "id": fulfillment_id,
        "order_id": order_id,
        "status": "success",
        "created_at": "2026-11-30T12:00:00-05:00",
        "updated_at": "2026-11-30T12:00:00-05:00",
        "tracking_company": "UPS",
        "tracking_number": "1Z2345",
        "tracking_numbers": ["1Z2345"],
        "tracking_url": "https://www.ups.com/track?tracknum=1Z2345",
        "tracking_urls": ["https://www.ups.com/track?tracknum=1Z2345"],
        "shipment_status": "in_transit",
        "line_items": [{"id": LINE_ID, "quantity": 1}],
    }
    payload.update(extra)
    return payload


def headers(body: bytes, *, topic: str, webhook_id: str, shop: str = SHOP, secret: str = SECRET):
    """The headers Shopify sends with a delivery (as Django test-client keyword arguments)."""
    return {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": shop,
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
        "HTTP_X_SHOPIFY_HMAC_SHA256": sign(body=body, secret=secret),
        "HTTP_X_SHOPIFY_API_VERSION": "2025-10",
    }


def deliver(client, payload: Any, *, topic: str, webhook_id: str, **options):
    """POST a signed delivery the way Shopify does."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        **headers(body, topic=topic, webhook_id=webhook_id, **options),
    )
