"""The wire shapes as JSON Schema components (serializers are plain functions)."""

from __future__ import annotations

from typing import Any

from orders.models import CancelReason, FulfillmentStatus
from orders.rules import custom_fields
from orders.rules.ids import ID_RE
from orders.rules.statuses import PAYMENT_STATUS_RE


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    # Our bodies never carry keys beyond the documented ones.
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _string(example: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "example": example, **extra}


def _enum(values: list[str], example: str) -> dict[str, Any]:
    return {"type": "string", "enum": values, "example": example}


ERC_ID = {"type": "string", "pattern": ID_RE.pattern, "minLength": 1, "maxLength": 128}
DATE_TIME = {
    "type": "string",
    "format": "date-time",
    "description": "RFC 3339, UTC, milliseconds.",
    "example": "2021-09-14T12:16:50.078Z",
}
GENERIC_TYPES = ["UNKNOWN", "CONFIRMED", "ON_ITS_WAY", "OUT_FOR_DELIVERY", "DELIVERED"]
DETAILED_TYPES = [
    "UNKNOWN",
    "ATTEMPTED_DELIVERY",
    "READY_FOR_PICKUP",
    "PICKED_UP",
    "CONFIRMED",
    "IN_TRANSIT",
    "OUT_FOR_DELIVERY",
    "DELIVERED",
    "FAILURE",
]

CANCEL_REASONS = list(CancelReason.values)
FULFILLMENT_STATUSES = list(FulfillmentStatus.values)
NO_NUL = "^[^\\x00]*$"


def any_case(values: list[str]) -> str:
    """A pattern matching any of the values in any letter case (JSON Schema has no flags)."""
    spelled = (
        "".join(f"[{char.upper()}{char.lower()}]" if char.isalpha() else char for char in value)
        for value in values
    )
    return "^(?:" + "|".join(spelled) + ")$"


_ORDER_PROPERTIES: dict[str, Any] = {
    "id": {**ERC_ID, "example": "order123"},
    "order_number": _string("#Y34DHR"),
    "customer_id": {**ERC_ID, "example": "customer123"},
    "brand": _string("acme", description="Present when the order has a brand."),
    "purchase_datetime": DATE_TIME,
    "delivery_type": _enum(["UNKNOWN", "LOCAL_DELIVERY", "LOCAL_PICKUP", "SHIPPING"], "SHIPPING"),
    "shipping_address": ref("Address"),
    "billing_address": ref("Address"),
    "items_number": {
        "type": "integer",
        "minimum": 0,
        "example": 3,
        "description": "Sum of the item quantities when the order has items, else as stored.",
    },
    "price_summary": ref("PriceSummary"),
    "payment_details": ref("PaymentDetails"),
    "order_extra_info": ref("OrderExtraInfo"),
    "cancellation_status": _enum(["UNKNOWN", "CANCELED"], "CANCELED"),
    "is_cancellable": {
        "type": "boolean",
        "example": True,
        "description": "Whether POST .../cancel would cancel it now: not canceled, not shipped, "
        "no item in a parcel.",
    },
    "is_change_shipping_address_allowed": {
        "type": "boolean",
        "example": True,
        "description": "Not canceled, not shipped, no item in a parcel, and not a store pickup.",
    },
    "is_refundable": {
        "type": "boolean",
        "example": False,
        "description": "Always false: refunds are not an action of this API.",
    },
    "is_returnable": {
        "type": "boolean",
        "example": False,
        "description": "Always false: returns are not an action of this API.",
    },
    "fulfillment_status": {
        **_enum(FULFILLMENT_STATUSES, "PARTIALLY_FULFILLED"),
        "description": "From shipped vs ordered quantities (an order without items: "
        "FULFILLED once it has a parcel).",
    },
    "delivery_status": {
        **_enum(DETAILED_TYPES, "IN_TRANSIT"),
        "description": "The detailed type of the latest parcel's latest event; absent without one.",
    },
    "payment_status": _string(
        "PAID",
        pattern=PAYMENT_STATUS_RE.pattern,
        description="The source's payment status, upper-case (PAID, PARTIALLY_REFUNDED, ...).",
    ),
    "status": _string("open", description="The source platform's own order status text."),
    "custom_fields": ref("CustomFields"),
    "_links": ref("SelfLinks"),
}
_ORDER_REQUIRED = (
    "id",
    "order_number",
    "customer_id",
    "is_cancellable",
    "is_change_shipping_address_allowed",
    "is_refundable",
    "is_returnable",
    "fulfillment_status",
    "_links",
)

_ITEM_PROPERTIES: dict[str, Any] = {
    "id": {**ERC_ID, "example": "item1"},
    "name": _string("T-shirt", description="Empty when the source gave no name."),
    "sku": _string("TS-001"),
    "quantity": {"type": "integer", "minimum": 1, "maximum": 100, "example": 2},
    "price": {**ref("Money"), "description": "Unit price."},
    "image_url": _string("https://example.com/item.jpg"),
    "description": _string("Blue, size M"),
}

_CUSTOMER_PROPERTIES: dict[str, Any] = {
    "id": {**ERC_ID, "example": "customer123"},
    "first_name": _string("John"),
    "last_name": _string("Doe"),
    "email": _string("john.doe@example.com"),
    "phone_number": _string("+351910000000", description="E.164."),
    "brand": _string("acme"),
    "customer_since": DATE_TIME,
    "custom_fields": ref("CustomFields"),
}

_LINK = _object({"href": _string("https://api.example.com/erc/ecommerce/...")}, ("href",))
_ERROR_FIELD = _object(
    {
        "name": _string("limit", description="The offending parameter."),
        "description": _string("Must be an integer between 1 and 100."),
    },
    ("name", "description"),
)

COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": _object(
        {
            "code": _string("invalid_parameter", description="Machine-readable error code."),
            "message": _string("Invalid parameters"),
            "description": _string("Check the parameters: limit."),
            "fields": {"type": "array", "items": ref("ErrorField")},
        },
        ("code", "message", "description", "fields"),
    ),
    "ErrorField": _ERROR_FIELD,
    "Link": _LINK,
    "SelfLinks": _object({"self": ref("Link")}, ("self",)),
    "CursorLinks": _object(
        {
            "self": ref("Link"),
            "next": {**ref("Link"), "description": "Only when there is a next page."},
        },
        ("self",),
    ),
    "PageLinks": _object(
        {name: ref("Link") for name in ("self", "first", "last", "prev", "next")},
        ("self", "first", "last"),
    ),
    "Money": _object(
        {
            "value": {"type": "number", "minimum": 0, "example": 10.5},
            "currency": _string("EUR", pattern="^[A-Z]{3}$", description="ISO 4217."),
        },
        ("value", "currency"),
    ),
    "Address": _object(
        {
            "id": {**ERC_ID, "example": "address1"},
            "first_name": _string("John"),
            "last_name": _string("Doe"),
            "phone_number": _string("+351910000000"),
            "address": _string("Rua Augusta 1"),
            "zip_code": _string("1100-048"),
            "city": _string("Lisbon"),
            "region_code": _string("PT-11", description="ISO 3166-2."),
            "country_code": _string("PT", pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2."),
            "default": {"type": "boolean", "example": True},
        },
        ("default",),
    ),
    "PriceSummary": _object(
        {
            **{
                name: ref("Money")
                for name in (
                    "original_total_amount",
                    "discounts_amount",
                    "shipping_amount",
                    "taxes_amount",
                    "final_total_amount",
                )
            },
            "total_refunded_amount": {
                **ref("Money"),
                "description": "Sum of the refunds; only when the source reports refunds.",
            },
            "net_payment_amount": {
                **ref("Money"),
                "description": "final_total_amount minus total_refunded_amount, when known.",
            },
        },
        ("original_total_amount", "final_total_amount"),
    ),
    "CustomFields": {
        "type": "object",
        "description": (
            f"The source's own key/value pairs: at most {custom_fields.MAX_FIELDS}, keys "
            f"1-{custom_fields.MAX_KEY} characters, values text (at most "
            f"{custom_fields.MAX_TEXT} characters), numbers or booleans. Keys in code-point "
            "order. Present when any are stored."
        ),
        "maxProperties": custom_fields.MAX_FIELDS,
        "additionalProperties": {
            "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
        },
        "example": {"loyalty_tier": "gold", "gift": True},
    },
    "PaymentDetails": _object(
        {
            "card_brand": _string("Visa"),
            "card_brand_image_url": _string("https://example.com/visa.svg"),
            "card_number": _string(
                "**** **** **** 4567",
                pattern=r"^\*{4} \*{4} \*{4} [0-9]{4}$",
                description="Masked: only the last four digits are stored.",
            ),
            "is_refunded": {"type": "boolean", "example": False},
        }
    ),
    "StatusInfo": _object(
        {
            "generic_type": _enum(GENERIC_TYPES, "ON_ITS_WAY"),
            "detailed_type": _enum(DETAILED_TYPES, "IN_TRANSIT"),
            "status_date_time": DATE_TIME,
            "description": _string("Left the warehouse"),
        },
        ("generic_type",),
    ),
    "OrderExtraInfo": _object(
        {
            "highlighted_item_image_url": _string("https://example.com/item.jpg"),
            "latest_status_info": ref("StatusInfo"),
        }
    ),
    "Order": _object(_ORDER_PROPERTIES, _ORDER_REQUIRED),
    "MostRecentOrder": _object(
        {
            **{k: v for k, v in _ORDER_PROPERTIES.items() if k != "_links"},
            "status_info": {
                "type": "array",
                "items": ref("StatusInfo"),
                "description": "The whole status timeline, oldest first.",
            },
            "status_info_current_index": {
                "type": "integer",
                "minimum": 0,
                "example": 1,
                "description": "Index of the latest event in status_info; absent when empty.",
            },
            "highlighted_item": {
                **ref("Item"),
                "description": "The item whose image is order_extra_info's "
                "highlighted_item_image_url; absent when no item shows it.",
            },
            "tracking_info": {
                **ref("TrackingInfo"),
                "description": "Of the order's latest parcel; absent when nothing shipped.",
            },
            "_links": ref("SelfLinks"),
        },
        (*_ORDER_REQUIRED, "status_info"),
    ),
    "Item": _object(
        {
            **_ITEM_PROPERTIES,
            "deliverable_quantity": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "example": 2,
                "description": "Ordered quantity not shipped yet.",
            },
            "deliveries": {
                "type": "array",
                "items": ref("Delivery"),
                "description": "The parcels this item travels in.",
            },
        },
        ("id", "name", "quantity", "price", "deliverable_quantity", "deliveries"),
    ),
    "ShipmentItem": _object(
        {
            **_ITEM_PROPERTIES,
            "quantity": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "example": 1,
                "description": "How many travel in this parcel.",
            },
        },
        ("id", "quantity", "price"),
    ),
    "TrackingInfo": _object(
        {
            "tracking_number": _string("1Z999AA10123456784", description='"" when unknown.'),
            "tracking_carrier": _string("UPS", description='"" when unknown.'),
            "external_url": _string(
                "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z999AA10123456784",
                format="uri",
                description="The carrier's tracking page: the stored link, else one built from "
                "carrier and number by the tracking_number_data set; absent when neither.",
            ),
        },
        ("tracking_number", "tracking_carrier"),
    ),
    "ShipmentStatusInfo": _object(
        {
            "type": {
                **_enum(DETAILED_TYPES, "IN_TRANSIT"),
                "description": "The parcel's latest event; UNKNOWN when it has none.",
            },
            "status_date_time": {
                **DATE_TIME,
                "description": "When it happened (UNKNOWN: when the parcel was shipped or "
                "recorded). RFC 3339, UTC, milliseconds.",
            },
            "description": _string("Left the Lisbon hub"),
            "location": _string("Lisbon, PT"),
        },
        ("type", "status_date_time"),
    ),
    "Shipment": _object(
        {
            "id": {**ERC_ID, "example": "order123-p1"},
            "brand": _string("acme", description="The order's brand, when set."),
            "customer_id": {**ERC_ID, "example": "customer123"},
            "order_id": {**ERC_ID, "example": "order123"},
            "shipping_provider": _string("UPS", description='The carrier; "" when unknown.'),
            "tracking_info": ref("TrackingInfo"),
            "latest_status_info": ref("ShipmentStatusInfo"),
            "service_level": _string("UPS Standard"),
            "shipping_date": DATE_TIME,
            "delivery_date_start": {**DATE_TIME, "description": "Promised window: from."},
            "delivery_date_end": {**DATE_TIME, "description": "Promised window: until."},
            "created_time": DATE_TIME,
            "last_updated": DATE_TIME,
            "shipping_address": ref("Address"),
            "items": {"type": "array", "items": ref("ShipmentItem")},
        },
        (
            "id",
            "customer_id",
            "order_id",
            "shipping_provider",
            "tracking_info",
            "latest_status_info",
            "created_time",
            "last_updated",
            "items",
        ),
    ),
    "Delivery": _object(
        {
            "id": {**ERC_ID, "example": "order123-p1", "description": "The shipment id."},
            "delivery_quantity": {"type": "integer", "minimum": 1, "example": 1},
            "carrier": _string("UPS", description='"" when unknown.'),
            "shipping_date": DATE_TIME,
            "delivery_date_start": DATE_TIME,
            "delivery_date_end": DATE_TIME,
            "service_level": _string("UPS Standard"),
            "latest_status_info": _object(
                {"type": _enum(DETAILED_TYPES, "IN_TRANSIT"), "status_date_time": DATE_TIME},
                ("type", "status_date_time"),
            ),
            "tracking_info": _object(
                {
                    "tracking_number": _string("1Z999AA10123456784"),
                    "external_url": _string(
                        "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z999AA10123456784",
                        format="uri",
                    ),
                },
                ("tracking_number",),
            ),
            "last_update": DATE_TIME,
        },
        (
            "id",
            "delivery_quantity",
            "carrier",
            "latest_status_info",
            "tracking_info",
            "last_update",
        ),
    ),
    "Customer": _object(
        {
            **_CUSTOMER_PROPERTIES,
            "addresses": {"type": "array", "items": ref("Address")},
            "average_order_value": {
                **ref("Money"),
                "description": "The mean final total of the customer's orders that are not "
                "canceled (of the brand, when given), in their currency's decimals, half up; "
                "only when those orders share one currency.",
            },
            "integration_info": ref("IntegrationInfo"),
            "_links": ref("SelfLinks"),
        },
        ("id", "addresses", "_links"),
    ),
    "IntegrationInfo": _object(
        {
            "external_url": _string("https://casa-lisboa.myshopify.com/admin/customers/1"),
            "type": _enum(["UNKNOWN", "SHOPIFY"], "SHOPIFY"),
        },
        ("external_url", "type"),
    ),
    "CancelPreview": _object(
        {
            "is_cancellable": {"type": "boolean", "example": True},
            "cancel_reasons": {
                "type": "array",
                "items": ref("CancelReason"),
                "description": "The reasons to choose from; empty when not cancellable.",
            },
            "use_new_cancel_flow": {
                "type": "boolean",
                "enum": [False],
                "description": "Always false: one cancel flow.",
            },
            "supports_refund_on_cancel": {
                "type": "boolean",
                "enum": [False],
                "description": "Always false: ercdash moves no money.",
            },
            "refundable_items": {
                "type": "array",
                "items": ref("Item"),
                "maxItems": 0,
                "description": "Always empty: no refunds on cancel.",
            },
            "_links": _object(
                {
                    "self": ref("Link"),
                    "cancel": {**ref("Link"), "description": "Only when cancellable."},
                },
                ("self",),
            ),
        },
        (
            "is_cancellable",
            "cancel_reasons",
            "use_new_cancel_flow",
            "supports_refund_on_cancel",
            "refundable_items",
            "_links",
        ),
    ),
    "CancelReason": _object(
        {
            "value": _enum(CANCEL_REASONS, "CUSTOMER_REQUEST"),
            "label": _string("Customer changed their mind"),
        },
        ("value", "label"),
    ),
    # Every property optional, null the same as left out; any other property is a 400.
    "CancelRequest": _object(
        {
            "cancel_reason": _string(
                "other",
                pattern=any_case(CANCEL_REASONS),
                nullable=True,
                description="One of the cancel reasons, in any case; default OTHER.",
            ),
            "staff_note": _string(
                "Customer called: ordered the wrong size.",
                maxLength=500,
                pattern=NO_NUL,
                nullable=True,
                description="Recorded with the cancellation and shown to agents (not in the "
                "order body). No full card numbers.",
            ),
            "restock": {
                "type": "boolean",
                "nullable": True,
                "example": True,
                "description": "Recorded and shown to agents; ercdash itself restocks nothing.",
            },
            "notify_customer": {
                "type": "boolean",
                "nullable": True,
                "example": False,
                "description": "Recorded and shown to agents; ercdash itself sends no email.",
            },
            "refund_method": _string(
                "ORIGINAL_PAYMENT_METHOD",
                maxLength=64,
                pattern=NO_NUL,
                nullable=True,
                description="Recorded and shown to agents; ercdash itself moves no money.",
            ),
        }
    ),
    # Talkdesk's shape. Every property optional: left out or null keeps the current value,
    # "" clears it; any other property is a 400.
    "ChangeShippingAddressRequest": _object(
        {
            "first_name": _string("John", maxLength=150, pattern=NO_NUL, nullable=True),
            "last_name": _string("Doe", maxLength=150, pattern=NO_NUL, nullable=True),
            "phone_number": _string(
                "+351 910 000 000",
                maxLength=32,
                nullable=True,
                description="Any common format; a national number is read in the address's "
                "country. Stored as E.164.",
            ),
            "address": _string(
                "Rua Augusta 1",
                minLength=1,
                maxLength=255,
                pattern=NO_NUL,
                nullable=True,
                description="The street line; the new address must have one. No full card "
                "numbers (nor in the names and city).",
            ),
            "zip_code": _string(
                "1100-048",
                maxLength=32,
                nullable=True,
                description="In the country's own shape where Google's address data has one "
                "(1100-048 in PT, 40202 or 40202-1234 in US).",
            ),
            "city": _string("Lisbon", maxLength=128, pattern=NO_NUL, nullable=True),
            "region_code": _string(
                "PT-11",
                maxLength=6,
                pattern="^([A-Z]{2}-[A-Z0-9]{1,3})?$",
                nullable=True,
                description="ISO 3166-2, a region of country_code.",
            ),
            "country_code": _string(
                "PT",
                pattern="^[A-Z]{2}$",
                nullable=True,
                description="ISO 3166-1 alpha-2, upper-case; the new address must have one.",
            ),
        }
    ),
    "Contact": _object(
        {
            "customer_id": {**ERC_ID, "example": "customer123"},
            "name": _string("John Doe", description="First and last name; may be empty."),
            "brand": _string("acme"),
            "created_at": {
                **DATE_TIME,
                "description": "When the source registered the customer (customer_since), "
                "else when ercdash first stored them. RFC 3339, UTC, milliseconds.",
            },
            "updated_at": DATE_TIME,
            "emails": {
                "type": "array",
                "items": _string("john.doe@example.com"),
                "maxItems": 1,
            },
            "phones": {
                "type": "array",
                "items": _string("+351910000000", description="E.164."),
                "maxItems": 1,
            },
            "custom_fields": ref("CustomFields"),
            "_links": ref("SelfLinks"),
        },
        ("customer_id", "name", "created_at", "updated_at", "emails", "phones", "_links"),
    ),
    "OrderList": _object(
        {
            "_embedded": _object(
                {"orders": {"type": "array", "maxItems": 100, "items": ref("Order")}},
                ("orders",),
            ),
            "_links": ref("CursorLinks"),
        },
        ("_embedded", "_links"),
    ),
    "ShipmentList": _object(
        {
            "_embedded": _object(
                {"shipments": {"type": "array", "maxItems": 100, "items": ref("Shipment")}},
                ("shipments",),
            ),
            "_links": ref("CursorLinks"),
        },
        ("_embedded", "_links"),
    ),
    "ItemList": _object(
        {
            "_embedded": _object(
                {"items": {"type": "array", "maxItems": 100, "items": ref("Item")}}, ("items",)
            ),
            "_links": ref("CursorLinks"),
        },
        ("_embedded", "_links"),
    ),
    "ContactPage": _object(
        {
            "total": {"type": "integer", "minimum": 0, "example": 1},
            "count": {"type": "integer", "minimum": 0, "maximum": 100, "example": 1},
            "page": {"type": "integer", "minimum": 1, "example": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100, "example": 50},
            "total_pages": {"type": "integer", "minimum": 0, "example": 1},
            "_embedded": _object(
                {"contacts": {"type": "array", "maxItems": 100, "items": ref("Contact")}},
                ("contacts",),
            ),
            "_links": ref("PageLinks"),
        },
        ("total", "count", "page", "per_page", "total_pages", "_embedded", "_links"),
    ),
}
