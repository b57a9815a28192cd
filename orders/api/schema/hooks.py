"""The drf-spectacular hooks named in settings.SPECTACULAR_SETTINGS, and error examples."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings

from orders.api import errors
from orders.api.middleware import API_PREFIX
from orders.api.schema.components import COMPONENTS, ref
from orders.api.schema.operations import BEFORE_THE_API


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
                # A body whose schema requires no property may be left out altogether.
                schema = details["requestBody"]["content"]["application/json"]["schema"]
                name = schema.get("$ref", "").rsplit("/", 1)[-1]
                details["requestBody"]["required"] = bool(COMPONENTS.get(name, {}).get("required"))
            for status, response in details.get("responses", {}).items():
                if int(status) in BEFORE_THE_API:
                    continue  # the HTTP server's own answer carries none of the API's headers
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
