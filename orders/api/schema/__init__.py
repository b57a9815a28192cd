"""The OpenAPI 3 document of the ERC API (drf-spectacular) and its public docs page.

Serializers are plain functions, so the wire shapes are written here as JSON Schema
components, referenced from each view's `@extend_schema(**operation(...))`. Hooks (named in
settings.SPECTACULAR_SETTINGS) keep only /erc/ecommerce routes, drop the optional trailing
slash from paths, add the components, and document the headers every response carries.

To document a new operation: decorate its method with `extend_schema(**operation(...))`,
give it the parameters and the 200 (or other) body it serves, and add its component schemas
to COMPONENTS; the error responses, security and headers come from `operation` and the hooks.

Modules: components (COMPONENTS), parameters, operations (`operation`, the security scheme),
hooks and views. Callers use the names re-exported here: `orders.api.schema.keep_api_endpoints` and
`orders.api.schema.finish_document` are the dotted paths in settings.
"""

from __future__ import annotations

from orders.api.schema.components import (
    CANCEL_REASONS,
    COMPONENTS,
    DATE_TIME,
    DETAILED_TYPES,
    ERC_ID,
    GENERIC_TYPES,
    ref,
)
from orders.api.schema.hooks import API_PREFIX, error_example, finish_document, keep_api_endpoints

# Importing operations also registers BearerTokenScheme with drf-spectacular.
from orders.api.schema.operations import ERRORS, SECURITY_SCHEME, BearerTokenScheme, operation
from orders.api.schema.parameters import (
    BRAND,
    CURSOR,
    CURSOR_LIST,
    CUSTOMER_ID,
    EMAIL,
    IDEMPOTENCY_KEY,
    IDS,
    IDS_BRACKETS,
    ITEM_DELIVERY_FILTERS,
    LIMIT,
    MATCH_MODE,
    NAME,
    ORDER_BY,
    ORDER_ID,
    PAGE,
    PER_PAGE,
    PHONE,
    SEARCH,
    SHIPMENT_FILTERS,
    SHIPMENTS_ORDER_BY,
    path_id,
)
from orders.api.schema.views import (
    DOCS_CSP,
    docs_context,
    docs_page,
    example_of,
    openapi_document,
    openapi_json,
)

__all__ = [
    "API_PREFIX",
    "BRAND",
    "CANCEL_REASONS",
    "COMPONENTS",
    "CURSOR",
    "CURSOR_LIST",
    "CUSTOMER_ID",
    "DATE_TIME",
    "DETAILED_TYPES",
    "DOCS_CSP",
    "EMAIL",
    "ERC_ID",
    "ERRORS",
    "GENERIC_TYPES",
    "IDEMPOTENCY_KEY",
    "IDS",
    "IDS_BRACKETS",
    "ITEM_DELIVERY_FILTERS",
    "LIMIT",
    "MATCH_MODE",
    "NAME",
    "ORDER_BY",
    "ORDER_ID",
    "PAGE",
    "PER_PAGE",
    "PHONE",
    "SEARCH",
    "SECURITY_SCHEME",
    "SHIPMENTS_ORDER_BY",
    "SHIPMENT_FILTERS",
    "BearerTokenScheme",
    "docs_context",
    "docs_page",
    "error_example",
    "example_of",
    "finish_document",
    "keep_api_endpoints",
    "openapi_document",
    "openapi_json",
    "operation",
    "path_id",
    "ref",
]
