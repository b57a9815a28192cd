"""The fields each object of an order document may have; any other field is rejected."""

from __future__ import annotations

from orders.rules import addresses
from orders.rules.money import AMOUNT_FIELDS as AMOUNT_FIELDS  # the price summary's amounts

CUSTOMER_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone_number",
    "brand",
    "customer_since",
    "custom_fields",
    "integration_info",
)
INTEGRATION_INFO_FIELDS = ("external_url", "type")
# The address's own values, stored as model fields of the same names (the address rules').
ADDRESS_VALUE_FIELDS = addresses.FIELDS
ADDRESS_FIELDS = ("id", *ADDRESS_VALUE_FIELDS, "default")
PAYMENT_FIELDS = ("card_brand", "card_brand_image_url", "card_number", "is_refunded")
EXTRA_INFO_FIELDS = ("highlighted_item_image_url", "latest_status_info")
STATUS_FIELDS = ("generic_type", "detailed_type", "status_date_time", "description")
ITEM_FIELDS = ("id", "name", "sku", "quantity", "price", "image_url", "description")
MONEY_FIELDS = ("value", "currency")
SHIPMENT_FIELDS = (
    "id",
    "carrier",
    "tracking_number",
    "tracking_url",
    "service_level",
    "shipping_date",
    "delivery_date_start",
    "delivery_date_end",
    "items",
    "status_history",
)
SHIPMENT_ITEM_FIELDS = ("item_id", "quantity")
SHIPMENT_STATUS_FIELDS = ("detailed_type", "status_date_time", "description", "location")
# The price summary: its amounts, then the refunds when the source reports them.
# (net_payment_amount is derived from them: served, never imported.)
PRICE_SUMMARY_FIELDS = (*AMOUNT_FIELDS, "total_refunded_amount")
ORDER_FIELDS = (
    "id",
    "order_number",
    "customer_id",
    "brand",
    "purchase_datetime",
    "delivery_type",
    "shipping_address",
    "billing_address",
    "items_number",
    "price_summary",
    "payment_details",
    "order_extra_info",
    "cancellation_status",
    "payment_status",
    "status",
    "custom_fields",
    "customer",
    "items",
    "status_history",
    "shipments",
)
