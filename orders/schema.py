"""The OpenAPI 3 document of the ERC API (drf-spectacular) and its public docs page.

Serializers are plain functions, so the wire shapes are written here as JSON Schema
components, referenced from each view's `@extend_schema(**operation(...))`. Hooks (named in
settings.SPECTACULAR_SETTINGS) keep only /erc/ecommerce routes, drop the optional trailing
slash from paths, add the components, and document the headers every response carries.

To document a new operation: decorate its method with `extend_schema(**operation(...))`,
give it the parameters and the 200 (or other) body it serves, and add its component schemas
to COMPONENTS; the error responses, security and headers come from `operation` and the hooks.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from orders import errors, pagination
from orders.models import CancelReason
from orders.renderers import dumps
from orders.validators import ID_RE

API_PREFIX = "/erc/ecommerce"
SECURITY_SCHEME = "oauth2"


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
    "_links": ref("SelfLinks"),
}
_ORDER_REQUIRED = ("id", "order_number", "customer_id", "_links")

_CUSTOMER_PROPERTIES: dict[str, Any] = {
    "id": {**ERC_ID, "example": "customer123"},
    "first_name": _string("John"),
    "last_name": _string("Doe"),
    "email": _string("john.doe@example.com"),
    "phone_number": _string("+351910000000", description="E.164."),
    "brand": _string("acme"),
    "customer_since": DATE_TIME,
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
            name: ref("Money")
            for name in (
                "original_total_amount",
                "discounts_amount",
                "shipping_amount",
                "taxes_amount",
                "final_total_amount",
            )
        },
        ("original_total_amount", "final_total_amount"),
    ),
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
            "_links": ref("SelfLinks"),
        },
        (*_ORDER_REQUIRED, "status_info"),
    ),
    "Item": _object(
        {
            "id": {**ERC_ID, "example": "item1"},
            "name": _string("T-shirt"),
            "sku": _string("TS-001"),
            "quantity": {"type": "integer", "minimum": 1, "maximum": 100, "example": 2},
            "price": {**ref("Money"), "description": "Unit price."},
            "image_url": _string("https://example.com/item.jpg"),
            "description": _string("Blue, size M"),
        },
        ("id", "quantity", "price"),
    ),
    "Customer": _object(
        {
            **_CUSTOMER_PROPERTIES,
            "addresses": {"type": "array", "items": ref("Address")},
            "_links": ref("SelfLinks"),
        },
        ("id", "addresses", "_links"),
    ),
    "CancelPreview": _object(
        {
            "is_cancellable": {"type": "boolean", "example": True},
            "cancel_reasons": {
                "type": "array",
                "items": ref("CancelReason"),
                "description": "The reasons to choose from; empty when not cancellable.",
            },
            "_links": _object(
                {
                    "self": ref("Link"),
                    "cancel": {**ref("Link"), "description": "Only when cancellable."},
                },
                ("self",),
            ),
        },
        ("is_cancellable", "cancel_reasons", "_links"),
    ),
    "CancelReason": _object(
        {
            "value": _enum(CANCEL_REASONS, "CUSTOMER_REQUEST"),
            "label": _string("Customer changed their mind"),
        },
        ("value", "label"),
    ),
    # As served: the cancel action reads cancel_reason and ignores any other property.
    "CancelRequest": {
        "type": "object",
        "properties": {"cancel_reason": _enum(CANCEL_REASONS, "CUSTOMER_REQUEST")},
        "required": ["cancel_reason"],
        "additionalProperties": True,
    },
    "Contact": _object({**_CUSTOMER_PROPERTIES, "_links": ref("SelfLinks")}, ("id", "_links")),
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

# --- Parameters ---------------------------------------------------------------------------

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

CURSOR_LIST = [BRAND, LIMIT, CURSOR, ORDER_BY]
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    # Empty counts as absent, as for query parameters.
    {"type": "string", "pattern": "^[\\x21-\\x7e]{0,255}$"},
    OpenApiParameter.HEADER,
    description=(
        "Optional. A retry with the same key replays the first answer "
        "(Idempotent-Replayed: true) instead of acting twice."
    ),
)

# --- Responses ----------------------------------------------------------------------------

ERRORS: dict[int, str] = {
    400: "Invalid parameter: `fields` names each bad one.",
    401: "No token, or an unknown, expired or revoked one (code unauthorized / invalid_token).",
    403: "The token lacks the scope this operation needs (code insufficient_scope).",
    404: "Not found (code not_found).",
    405: "The path does not serve this method; the Allow header lists those it does.",
    429: "Over the client's rate limit; retry after Retry-After seconds.",
    500: "Internal error; nothing internal is disclosed.",
    503: "The database is unavailable; retry after Retry-After seconds.",
}


def operation(
    *,
    operation_id: str,
    summary: str,
    description: str,
    ok: str,
    ok_description: str,
    parameters: list[OpenApiParameter],
    not_found: str | None = None,
    etag: bool = False,
    extra: dict[int, str] | None = None,
    request: str | None = None,
) -> dict[str, Any]:
    """extend_schema kwargs: the 200 body, every documented error, and the parameters.

    `request` names the component of a JSON request body; `extra` adds error statuses
    (e.g. {422: "..."}) answered with the ERC error body.
    """
    responses: dict[int, OpenApiResponse] = {
        200: OpenApiResponse(response=ref(ok), description=ok_description)
    }
    if etag:
        responses[304] = OpenApiResponse(description="If-None-Match matched the ETag; no body.")
    for status, text in {**ERRORS, **(extra or {})}.items():
        if status == 404 and not_found is None:
            continue
        text = f"{text} {not_found}" if status == 404 else text
        responses[status] = OpenApiResponse(response=ref("Error"), description=text)
    if etag:
        parameters = [
            *parameters,
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="An ETag from an earlier response: 304 when unchanged.",
            ),
        ]
    kwargs = {
        "operation_id": operation_id,
        "summary": summary,
        "description": description,
        "parameters": parameters,
        "responses": responses,
        "tags": ["ERC e-commerce"],
    }
    if request is not None:
        kwargs["request"] = {"application/json": ref(request)}
    return kwargs


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """OAuth2 client credentials; each operation asks for its view's required_scope."""

    target_class = "orders.auth.BearerTokenAuthentication"
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "description": (
                "Client credentials: POST /oauth/token with grant_type=client_credentials, "
                "then send Authorization: Bearer <access_token>."
            ),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": settings.OAUTH2_PROVIDER["SCOPES"],
                }
            },
        }

    def get_security_requirement(self, auto_schema) -> dict[str, list[str]]:
        return {self.name: [auto_schema.view.required_scope]}


# --- Hooks (settings.SPECTACULAR_SETTINGS) ------------------------------------------------


def keep_api_endpoints(endpoints: list[tuple], **kwargs: Any) -> list[tuple]:
    """Only /erc/ecommerce routes, documented at their canonical path (no trailing slash)."""
    kept = []
    for path, path_regex, method, callback in endpoints:
        if not path.startswith(API_PREFIX + "/"):
            continue
        kept.append((path.removesuffix("/"), path_regex, method, callback))
    return kept


_HEADERS = {
    "X-Request-ID": {
        "description": "The request id, echoed or generated; also in the server logs.",
        "schema": {"type": "string"},
        "required": True,
    },
    "Cache-Control": {
        "description": "Always no-store.",
        "schema": {"type": "string", "enum": ["no-store"]},
        "required": True,
    },
}
_STATUS_HEADERS: dict[str, dict[str, Any]] = {
    "200": {
        "ETag": {"description": "Strong ETag (order and customer reads)."},
        "Idempotent-Replayed": {"description": "true when replayed for an Idempotency-Key."},
    },
    "304": {"ETag": {"description": "The matching ETag.", "required": True}},
    "401": {
        "WWW-Authenticate": {
            "description": 'Bearer realm="api", plus error="invalid_token" when a token was sent.',
            "required": True,
        }
    },
    "403": {
        "WWW-Authenticate": {
            "description": 'Bearer realm="api", error="insufficient_scope", scope="<scope>".',
            "required": True,
        }
    },
    "405": {"Allow": {"description": "The methods this path serves.", "required": True}},
    "422": {"Idempotent-Replayed": {"description": "true when replayed for an Idempotency-Key."}},
    "429": {"Retry-After": {"description": "Seconds to wait.", "required": True}},
    "503": {"Retry-After": {"description": "Seconds to wait.", "required": True}},
}


def finish_document(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Add the components and the headers every response carries; drop spectacular's noise."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(copy.deepcopy(COMPONENTS))
    for methods in result.get("paths", {}).values():
        for details in methods.values():
            if "requestBody" in details:
                details["requestBody"]["required"] = True
            for status, response in details.get("responses", {}).items():
                headers = copy.deepcopy(_HEADERS)
                for name, header in _STATUS_HEADERS.get(status, {}).items():
                    headers[name] = {"schema": {"type": "string"}, **header}
                if status == "200" and "304" not in details["responses"]:
                    headers.pop("ETag")
                if "requestBody" not in details:
                    headers.pop("Idempotent-Replayed", None)
                response["headers"] = headers
                content = response.get("content", {}).get("application/json")
                if content and content["schema"] == ref("Error"):
                    content["example"] = error_example(int(status))
    return result


_ERROR_EXAMPLES: dict[int, dict[str, Any]] = {
    400: errors.error_body(
        "invalid_parameter",
        "Invalid parameters",
        "Check the parameters: limit.",
        [("limit", "Must be an integer between 1 and 100.")],
    ),
    401: errors.error_body(
        "invalid_token", "Invalid access token", "The access token is unknown, expired or revoked."
    ),
    403: errors.error_body(
        "insufficient_scope",
        "Insufficient scope",
        f"This operation needs the scope {settings.SCOPE_READ}.",
    ),
    404: errors.error_body(
        "not_found", "Order not found", "No order order123 was found for this customer."
    ),
    422: errors.error_body(
        "order_not_cancellable",
        "Order cannot be canceled",
        "Order order123 has already shipped and can no longer be canceled.",
    ),
}


def error_example(status: int) -> dict[str, Any]:
    if status in _ERROR_EXAMPLES:
        return _ERROR_EXAMPLES[status]
    return errors.error_body(*errors.status_defaults(status))


# --- Public views -------------------------------------------------------------------------


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The schema, generated once per process: it depends on code only."""
    generator = SchemaGenerator()
    # Round-trip through JSON so lazy strings and tuples become plain JSON values.
    return json.loads(dumps(generator.get_schema(request=None, public=True)))


def openapi_json(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return errors.generic_error_response(405, headers={"Allow": "GET, HEAD"})
    return HttpResponse(dumps(openapi_document()), content_type="application/json")


def docs_page(request: HttpRequest) -> HttpResponse:
    """Every operation with its parameters and responses, as plain HTML: no scripts at all."""
    if request.method not in ("GET", "HEAD"):
        return errors.generic_error_response(405, headers={"Allow": "GET, HEAD"})
    document = openapi_document()
    response = render(request, "orders/api_docs.html", docs_context(document))
    # API paths skip the console's CSP middleware; this page states its own strict policy.
    response["Content-Security-Policy"] = DOCS_CSP
    return response


DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def docs_context(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    operations = []
    for path, methods in document["paths"].items():
        for method, details in methods.items():
            operations.append(
                {
                    "anchor": details["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": details.get("summary", ""),
                    "description": details.get("description", ""),
                    "scopes": [
                        scope
                        for requirement in details.get("security", [])
                        for scope in requirement.get(SECURITY_SCHEME, [])
                    ],
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "location": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": _type_label(parameter.get("schema", {})),
                            "description": parameter.get("description", ""),
                        }
                        for parameter in details.get("parameters", [])
                    ],
                    "responses": [
                        {
                            "status": status,
                            "description": response.get("description", ""),
                            "example": _example_json(response, schemas),
                        }
                        for status, response in details.get("responses", {}).items()
                    ],
                }
            )
    security = document["components"]["securitySchemes"][SECURITY_SCHEME]
    return {
        "info": document["info"],
        "operations": operations,
        "token_url": security["flows"]["clientCredentials"]["tokenUrl"],
        "scopes": security["flows"]["clientCredentials"]["scopes"],
    }


def _type_label(schema: dict[str, Any]) -> str:
    label = schema.get("type", "string")
    if "enum" in schema:
        label += " (" + " | ".join(str(value) for value in schema["enum"]) + ")"
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", "min"), ("maximum", "max"), ("default", "default"))
        if key in schema
    ]
    return label + (", " + ", ".join(bounds) if bounds else "")


def _example_json(response: dict[str, Any], schemas: dict[str, Any]) -> str:
    content = response.get("content", {}).get("application/json")
    if not content:
        return ""
    example = content["example"] if "example" in content else example_of(content["schema"], schemas)
    return json.dumps(example, indent=2, ensure_ascii=False)


def example_of(schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> Any:
    """An example body built from the schema's own `example` values."""
    if "$ref" in schema:
        return example_of(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas, depth + 1)
    if "example" in schema:
        return schema["example"]
    if depth > 12:
        return None
    kind = schema.get("type")
    if kind == "object":
        return {
            name: example_of(value, schemas, depth + 1)
            for name, value in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), schemas, depth + 1)]
    return {"integer": 1, "number": 1.5, "boolean": True}.get(kind, "string")
