"""The ERC error contract: every 4xx/5xx under /erc/ecommerce has the same four-key body."""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf

from orders.documents.codec import dumps

logger = logging.getLogger("ercdash.api")

AUTH_CHALLENGE = 'Bearer realm="api"'


class ApiError(drf.APIException):
    """An error answered with the ERC body; raise subclasses from API views and services."""

    status_code = HTTPStatus.BAD_REQUEST
    code = "invalid_parameter"
    message = "Invalid request"

    def __init__(
        self,
        description: str = "",
        *,
        fields: list[tuple[str, str]] | None = None,
        message: str | None = None,
    ) -> None:
        self.description = description
        self.fields = fields or []
        if message is not None:
            self.message = message
        super().__init__(description or self.message)


class InvalidParameters(ApiError):
    message = "Invalid parameters"

    def __init__(self, fields: list[tuple[str, str]], description: str = "") -> None:
        names = ", ".join(name for name, _ in fields)
        super().__init__(description or f"Check the parameters: {names}.", fields=fields)


class NotFound(ApiError):
    status_code = HTTPStatus.NOT_FOUND
    code = "not_found"
    message = "Resource not found"


class InsufficientScope(ApiError):
    status_code = HTTPStatus.FORBIDDEN
    code = "insufficient_scope"
    message = "Insufficient scope"

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(f"This operation needs the scope {scope}.")


class NotCancellable(ApiError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "order_not_cancellable"
    message = "Order cannot be canceled"


class ShippingAddressNotChangeable(ApiError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "shipping_address_not_changeable"
    message = "Shipping address cannot be changed"


class IdempotencyKeyReused(ApiError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    message = "Idempotency key reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was first used for another request (path or body); use a "
            "new key for a new request.",
            fields=[("Idempotency-Key", "Already used for a different request.")],
        )


class Unauthorized(ApiError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "unauthorized"
    message = "Authentication required"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    message = "Invalid access token"


def order_not_found(order_id: str) -> NotFound:
    # Same bytes for "no such order" and "another customer's order", so ids cannot be probed.
    return NotFound(f"No order {order_id} was found for this customer.", message="Order not found")


def customer_not_found(customer_id: str) -> NotFound:
    return NotFound(f"No customer {customer_id} was found.", message="Customer not found")


def error_body(
    code: str, message: str, description: str = "", fields: list[tuple[str, str]] | None = None
) -> dict:
    return {
        "code": code,
        "message": message,
        "description": description,
        "fields": [{"name": name, "description": text} for name, text in (fields or [])],
    }


def error_response(
    status: int,
    code: str,
    message: str,
    description: str = "",
    fields: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    response = HttpResponse(
        dumps(error_body(code, message, description, fields)),
        status=status,
        content_type="application/json",
        headers=headers,
    )
    response["Cache-Control"] = "no-store"
    return response


# Generic bodies for statuses raised outside our own exceptions.
_STATUS_DEFAULTS: dict[int, tuple[str, str, str]] = {
    400: ("invalid_parameter", "Invalid request", "The request could not be understood."),
    401: ("unauthorized", "Authentication required", "Send an OAuth2 Bearer access token."),
    403: ("forbidden", "Forbidden", "This request is not allowed."),
    404: ("not_found", "Resource not found", "There is no resource at this path."),
    405: ("method_not_allowed", "Method not allowed", "This path does not serve this method."),
    406: ("not_acceptable", "Not acceptable", "This API only serves application/json."),
    413: ("payload_too_large", "Payload too large", "The request body is too large."),
    415: (
        "unsupported_media_type",
        "Unsupported media type",
        "Send the request body as application/json.",
    ),
    422: ("unprocessable", "Unprocessable request", "The request cannot be processed."),
    429: ("rate_limited", "Too many requests", "Slow down and retry after the given delay."),
    500: ("internal_error", "Internal error", "Something went wrong on our side."),
    503: (
        "service_unavailable",
        "Service unavailable",
        "The service is temporarily unavailable; retry shortly.",
    ),
}


def status_defaults(status: int) -> tuple[str, str, str]:
    if status in _STATUS_DEFAULTS:
        return _STATUS_DEFAULTS[status]
    return (
        ("internal_error", "Internal error", "Something went wrong on our side.")
        if status >= 500
        else ("invalid_parameter", HTTPStatus(status).phrase, "The request was not accepted.")
    )


def generic_error_response(status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    code, message, description = status_defaults(status)
    return error_response(status, code, message, description, headers=headers)


def service_unavailable() -> HttpResponse:
    return generic_error_response(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


RETRY_AFTER_SECONDS = 5


def api_exception_handler(exc: Exception, context: dict) -> HttpResponse | None:
    """DRF exception handler: map every API exception to the ERC error body."""
    request = context.get("request")
    headers: dict[str, str] = {}

    if isinstance(exc, Http404):
        exc = NotFound("There is no resource at this path.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    if isinstance(exc, ApiError):
        status, code, message = exc.status_code, exc.code, exc.message
        description, fields = exc.description, exc.fields
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
        code, message, description = status_defaults(status)
        fields = []
        if isinstance(exc, drf.ParseError):
            fields = [("body", "The request body is not valid JSON.")]
            description = "The request body is not valid JSON."
        elif isinstance(exc, drf.ValidationError):
            fields = _validation_fields(exc.detail)
            message = "Invalid parameters"
            description = "Check the parameters: " + ", ".join(n for n, _ in fields) + "."
    else:
        return None  # not ours: the middleware turns it into the 500/503 body

    if status == HTTPStatus.UNAUTHORIZED:
        headers["WWW-Authenticate"] = (
            f'{AUTH_CHALLENGE}, error="invalid_token"'
            if code == "invalid_token"
            else AUTH_CHALLENGE
        )
    elif isinstance(exc, InsufficientScope):
        headers["WWW-Authenticate"] = (
            f'{AUTH_CHALLENGE}, error="insufficient_scope", scope="{exc.scope}"'
        )
    elif isinstance(exc, drf.MethodNotAllowed) and request is not None:
        view = context.get("view")
        if view is not None:
            headers["Allow"] = ", ".join(view.allowed_methods)
    elif isinstance(exc, drf.Throttled):
        headers["Retry-After"] = str(max(1, int(exc.wait or 1)))

    return error_response(status, code, message, description, fields, headers)


def _validation_fields(detail, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(detail, dict):
        fields: list[tuple[str, str]] = []
        for name, value in detail.items():
            key = "body" if name == "non_field_errors" and not prefix else f"{prefix}{name}"
            fields.extend(
                _validation_fields(value, f"{key}.")
                if isinstance(value, dict)
                else [
                    (
                        key,
                        " ".join(str(v) for v in value) if isinstance(value, list) else str(value),
                    )
                ]
            )
        return fields
    return [("body", " ".join(str(v) for v in detail) if isinstance(detail, list) else str(detail))]


def log_crash(request, exc: BaseException) -> None:
    logger.error(
        "Unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
