"""The documented path, query and header parameters of the API's operations."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter

from orders.api import pagination
from orders.api.schema.components import DETAILED_TYPES, ERC_ID

# Query values are at most 256 characters and never hold NUL bytes (api.query_problems).
_QUERY_TEXT = {"type": "string", "maxLength": 256, "pattern": "^[^\\x00]*$"}


def path_id(name: str, example: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {**ERC_ID},
        OpenApiParameter.PATH,
        description="1-128 characters from A-Z a-z 0-9 . _ ~ : @ -",
        examples=[OpenApiExample(example, value=example)],
    )


CUSTOMER_ID = path_id("customer_id", "customer123")
ORDER_ID = path_id("order_id", "order123")
BRAND = OpenApiParameter(
    "brand",
    _QUERY_TEXT,
    description=(
        "Only resources of this brand: one of another brand, or with no brand, is not found "
        "(filtered out of lists). Empty counts as absent."
    ),
)
LIMIT = OpenApiParameter(
    "limit",
    {
        "type": "integer",
        "minimum": 1,
        "maximum": pagination.MAX_LIMIT,
        "default": pagination.DEFAULT_LIMIT,
    },
    description="Page size.",
)
CURSOR = OpenApiParameter(
    "cursor",
    _QUERY_TEXT,
    description=(
        "Opaque: copy it from _links.next.href. A tampered cursor, or one used with another "
        "order_by, is a 400."
    ),
)
ORDER_BY = OpenApiParameter(
    "order_by",
    {
        "type": "string",
        "enum": list(pagination.ORDER_BY_CHOICES),
        "default": "purchase_datetime:desc",
    },
    description="Orders without a purchase time sort as the oldest; ties keep a stable order.",
)
SEARCH = OpenApiParameter(
    "search",
    _QUERY_TEXT,
    description="An order number, case-insensitive, with or without the leading '#'.",
)
PAGE = OpenApiParameter(
    "page", {"type": "integer", "minimum": 1, "maximum": pagination.MAX_PAGE, "default": 1}
)
PER_PAGE = OpenApiParameter(
    "per_page",
    {
        "type": "integer",
        "minimum": 1,
        "maximum": pagination.MAX_LIMIT,
        "default": pagination.DEFAULT_LIMIT,
    },
)
EMAIL = OpenApiParameter("email", _QUERY_TEXT, description="Exact e-mail, case-insensitive.")
PHONE = OpenApiParameter(
    "phone",
    _QUERY_TEXT,
    description=(
        "A phone number in any common format (+351 910 000 000, 00351-910-000-000, 910000000), "
        "compared as E.164. National formats are read in ERCDASH_DEFAULT_PHONE_REGION (PT). "
        "Text that is no phone number matches nobody."
    ),
)
NAME = OpenApiParameter(
    "name",
    _QUERY_TEXT,
    description=(
        "Case- and accent-insensitive. exact: equals the full name ('first last'), the first "
        "name or the last name. fuzzy: contained in the full name."
    ),
)
MATCH_MODE = OpenApiParameter(
    "matchMode", {"type": "string", "enum": ["exact", "fuzzy"], "default": "exact"}
)

# An empty value counts as absent (ids=&ids=a is ids=a), as for every query parameter.
_IDS = {
    "type": "array",
    "items": {"type": "string", "pattern": "^$|" + ERC_ID["pattern"], "maxLength": 128},
    "maxItems": 100,
}
IDS = OpenApiParameter(
    "ids",
    _IDS,
    style="form",
    explode=True,
    description=(
        "Only these customer ids (repeat it: ids=a&ids=b; at most 100). Links repeat the "
        "ids the request gave, as ids."
    ),
)
IDS_BRACKETS = OpenApiParameter(
    "ids[]",
    _IDS,
    style="form",
    explode=True,
    description="The same as ids, spelled as some client libraries spell lists.",
)

CURSOR_LIST = [BRAND, LIMIT, CURSOR, ORDER_BY]
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    # Empty counts as absent, as for query parameters.
    {"type": "string", "pattern": "^[\\x21-\\x7e]{0,255}$"},
    OpenApiParameter.HEADER,
    description=(
        "Optional. A retry with the same key replays the first answer "
        "(Idempotent-Replayed: true) instead of acting twice. A key belongs to the request "
        "it first answered: the same key with another path or body is 422 "
        "idempotency_key_reused. Keys expire after 24 hours."
    ),
)

SHIPMENTS_ORDER_BY = OpenApiParameter(
    "order_by",
    {
        "type": "string",
        "enum": list(pagination.SHIPMENTS_ORDER_BY_CHOICES),
        "default": pagination.SHIPMENTS_ORDER_BY_DESC,
    },
    description="Parcels without a shipping date sort as the oldest; ties keep a stable order.",
)
_LISTED = "Repeat it (also as name[]) or separate values by commas."
# An empty value counts as absent, as for every query parameter.
_OPTIONAL_ID = {"type": "string", "maxLength": 128, "pattern": "^[A-Za-z0-9._~:@-]*$"}
SHIPMENT_FILTERS = [
    OpenApiParameter(
        "order_id", _OPTIONAL_ID, description="Only the parcels of this order of the customer."
    ),
    OpenApiParameter(
        "order_ids",
        {"type": "array", "items": _OPTIONAL_ID, "maxItems": 100},
        description="Only the parcels of these orders. " + _LISTED,
        explode=True,
    ),
    OpenApiParameter(
        "tracking_number",
        _QUERY_TEXT,
        description="Exact tracking number; case and spaces are ignored.",
    ),
    OpenApiParameter(
        "shipping_provider",
        _QUERY_TEXT,
        description="The carrier's name as stored (UPS, CTT…), case-insensitive.",
    ),
    OpenApiParameter(
        "delivery_statuses",
        {"type": "array", "items": {"type": "string", "enum": DETAILED_TYPES}},
        description=(
            "Only parcels whose latest event is of one of these detailed types (UNKNOWN: "
            "also parcels without events). " + _LISTED
        ),
        explode=True,
    ),
]

# A date (its midnight UTC) or an RFC 3339 timestamp; empty counts as absent.
_DATE_OR_TIME = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "maxLength": 0},
    ]
}
ITEM_DELIVERY_FILTERS = [
    OpenApiParameter(
        "carrier", _QUERY_TEXT, description="Items in a parcel of this carrier (any case)."
    ),
    OpenApiParameter(
        "delivery_type",
        {"type": "string", "enum": ["UNKNOWN", "LOCAL_DELIVERY", "LOCAL_PICKUP", "SHIPPING"]},
        description="The order's delivery type: every item when it matches, none otherwise.",
    ),
    OpenApiParameter(
        "delivery_date_start",
        _DATE_OR_TIME,
        description="Items in a parcel whose promised window starts at or after this "
        "(a date is its midnight UTC).",
    ),
    OpenApiParameter(
        "delivery_date_end",
        _DATE_OR_TIME,
        description="Items in a parcel whose promised window ends at or before this.",
    ),
    OpenApiParameter(
        "shipping_date",
        _DATE_OR_TIME,
        description="Items in a parcel shipped on this day (UTC).",
    ),
]
