"""Each operation's extend_schema kwargs: its responses, documented errors and security."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from orders.api.schema.components import ref

SECURITY_SCHEME = "oauth2"

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


# Answered by the HTTP server before a request reaches the API: no ERC error body, none of
# the API's headers.
BEFORE_THE_API: dict[int, str] = {
    414: "The request line is over the HTTP server's limit (8190 bytes, e.g. many long ids): "
    "refused before the API, as plain text.",
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
    for status, text in BEFORE_THE_API.items():
        responses[status] = OpenApiResponse(description=text)
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

    target_class = "orders.api.auth.BearerTokenAuthentication"
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
