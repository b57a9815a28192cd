"""The public schema views: /erc/ecommerce/openapi.json and the scriptless docs page."""

from __future__ import annotations

import functools
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

from orders.api import errors
from orders.api.schema.operations import SECURITY_SCHEME
from orders.documents.codec import dumps


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
