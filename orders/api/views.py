"""ERC e-commerce API views: one class per operation; validate -> select -> serialize."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from orders import selectors, services
from orders.api import errors, pagination, shapes
from orders.api import schema as doc
from orders.api.auth import NOT_PREFETCHED, TokenPrefetch
from orders.documents import body
from orders.documents.codec import dumps
from orders.models import AccessAudit, CancelReason, DeliveryType, DetailedType, Order
from orders.rules import addresses, cards, ids, text, times
from orders.rules.ids import ID_RE

MAX_QUERY_VALUE = 256
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON whatever Accept says; a 406 would only confuse integrators."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ErcApiView(APIView):
    """Authenticate first, then validate the query and the path ids, then the operation."""

    required_scope = settings.SCOPE_READ
    content_negotiation_class = JsonOnlyNegotiation
    # Path parameters that are ERC ids, validated before any lookup.
    id_kwargs: tuple[str, ...] = ("customer_id", "order_id")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method == "OPTIONS":
            return  # pre-flight requests carry no credentials
        super().initial(request, *args, **kwargs)
        bad = self.parameter_problems(request)
        if bad:
            raise errors.InvalidParameters(bad)

    def parameter_problems(self, request: Request) -> list[tuple[str, str]]:
        return query_problems(request) + id_problems(self.kwargs, self.id_kwargs)

    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(status=204, headers={"Allow": ", ".join(self.allowed_methods)})
        del response["Content-Type"]  # a 204 has no body to describe
        return response


def query_problems(request: HttpRequest | Request) -> list[tuple[str, str]]:
    problems = []
    for name, values in request.GET.lists():
        for value in values:
            if "\x00" in value or "\x00" in name:
                problems.append((name.replace("\x00", ""), "Must not contain NUL bytes."))
                break
            if len(value) > MAX_QUERY_VALUE:
                problems.append((name, f"Must be at most {MAX_QUERY_VALUE} characters."))
                break
    return problems


def id_problems(kwargs: dict[str, str], names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (name, "Must be 1-128 characters from A-Z a-z 0-9 . _ ~ : @ -")
        for name in names
        if name in kwargs and not ID_RE.match(kwargs[name])
    ]


def brand_param(request: HttpRequest | Request) -> str:
    return request.GET.get("brand", "")


def client_brands(request: Request) -> frozenset[str]:
    """The brands the calling client is limited to; empty: every brand."""
    return request.user.brands


def absolute_url(
    request: HttpRequest,
    path: str,
    query: dict[str, str | list[str]] | None = None,
    *,
    host: str | None = None,
) -> str:
    """Absolute URL on this server; ERCDASH_PUBLIC_BASE_URL wins behind a proxy.

    Empty values are left out; a list value repeats its parameter (ids=a&ids=b). `host`:
    request.get_host(), when the caller has it already."""
    given = {k: v for k, v in (query or {}).items() if v}
    query_string = urlencode(given, doseq=True) if given else ""
    suffix = f"{path}?{query_string}" if query_string else path
    # Paths are built from validated ids (URI-safe characters) and the query is urlencoded,
    # so build_absolute_uri's re-parsing and re-quoting would only cost time on every read.
    base = settings.ERCDASH_PUBLIC_BASE_URL or f"{request.scheme}://{host or request.get_host()}"
    return f"{base}{suffix}"


def json_response(request: HttpRequest, body: Any, *, etag: bool = False) -> HttpResponse:
    content = dumps(body)
    if not etag:
        return HttpResponse(content, content_type="application/json")
    return etag_response(request, content)


def etag_response(request: HttpRequest, content: bytes) -> HttpResponse:
    """A JSON response with a strong ETag; 304 when If-None-Match already has it."""
    tag = '"' + hashlib.sha256(content).hexdigest()[:40] + '"'
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
    if if_none_match and (
        if_none_match.strip() == "*"
        or tag in [candidate.strip() for candidate in if_none_match.split(",")]
    ):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="application/json")
    response["ETag"] = tag
    return response


def order_path(customer_id: str, order_id: str) -> str:
    return f"/erc/ecommerce/customers/{customer_id}/orders/{order_id}"


class OrderDetailApi(ErcApiView):
    def token_prefetch(self, request: Request) -> TokenPrefetch | None:
        """Read the order's document in the token's own query: one round trip, not two.

        Only for well-formed parameters (a NUL byte must never reach the database), and not
        when order reads go to a replica: tokens are always read from the primary.
        """
        if self.parameter_problems(request) or not selectors.order_reads_use_default_database():
            return None
        sql, params = selectors.order_document_query(
            customer_id=self.kwargs["customer_id"],
            order_id=self.kwargs["order_id"],
            brand=brand_param(request),
        )
        return TokenPrefetch(sql, tuple(params))

    @extend_schema(
        **doc.operation(
            operation_id="getCustomerOrder",
            summary="Get an order",
            description="One order of the customer. Another customer's order is not found.",
            ok="Order",
            ok_description="The order.",
            parameters=[doc.CUSTOMER_ID, doc.ORDER_ID, doc.BRAND],
            not_found="No such order for this customer (and brand).",
            etag=True,
        )
    )
    def get(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        return order_response(
            request,
            customer_id=customer_id,
            order_id=order_id,
            brands=client_brands(request),
            document=getattr(request, "prefetched", NOT_PREFETCHED),
        )


def order_response(
    request: HttpRequest | Request,
    *,
    customer_id: str,
    order_id: str,
    brands: frozenset[str],
    document: Any = NOT_PREFETCHED,
    host: str | None = None,
) -> HttpResponse:
    """The order read's answer: the stored document (read now unless it came with the
    token), with its ETag; 404 when it is not this customer's (brand's, client's)."""
    brand = brand_param(request)
    if document is NOT_PREFETCHED:
        document = selectors.order_document_get(
            customer_id=customer_id, order_id=order_id, brand=brand, brands=brands
        )
    if document is None:
        raise errors.order_not_found(order_id)
    return etag_response(
        request,
        order_document_body(
            request,
            document,
            customer_id=customer_id,
            order_id=order_id,
            brand=brand,
            brands=brands,
            host=host,
        ),
    )


def order_document_body(
    request: HttpRequest | Request,
    document: str,
    *,
    customer_id: str,
    order_id: str,
    brand: str,
    brands: frozenset[str],
    host: str | None = None,
) -> bytes:
    """The order's stored document with its self link appended, without parsing it again.

    An order stored before documents existed (an empty document) is rendered the slow way.
    """
    if not document:
        order = selectors.order_get(
            customer_id=customer_id, order_id=order_id, brand=brand, brands=brands
        )
        document = services.render_document(order)
    href = absolute_url(request, order_path(customer_id, order_id), {"brand": brand}, host=host)
    return document.encode()[:-1] + b',"_links":{"self":{"href":' + dumps(href) + b"}}}"


def cancel_reasons() -> list[dict[str, str]]:
    return [{"value": value, "label": str(label)} for value, label in CancelReason.choices]


class OrderCancelPreviewApi(ErcApiView):
    @extend_schema(
        **doc.operation(
            operation_id="getOrderCancelPreview",
            summary="Can this order be canceled?",
            description=(
                "Whether the order can still be canceled (no shipping status yet, not "
                "canceled; the order bodies' is_cancellable) and the reasons to choose from."
            ),
            ok="CancelPreview",
            ok_description="The cancellation preview.",
            parameters=[doc.CUSTOMER_ID, doc.ORDER_ID, doc.BRAND],
            not_found="No such order for this customer (and brand).",
        )
    )
    def get(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        brand = brand_param(request)
        order = selectors.order_get(
            customer_id=customer_id, order_id=order_id, brand=brand, brands=client_brands(request)
        )
        if order is None:
            raise errors.order_not_found(order_id)
        path = order_path(customer_id, order_id)
        links = {
            "self": {"href": absolute_url(request, path + "/cancel-preview", {"brand": brand})}
        }
        if order.is_cancellable:
            links["cancel"] = {"href": absolute_url(request, path + "/cancel", {"brand": brand})}
        body = {
            "is_cancellable": order.is_cancellable,
            "cancel_reasons": cancel_reasons() if order.is_cancellable else [],
            # Talkdesk's preview: one flow, no refunds on cancel (ercdash moves no money).
            "use_new_cancel_flow": False,
            "supports_refund_on_cancel": False,
            "refundable_items": [],
            "_links": links,
        }
        return json_response(request, body)


class OrderWriteApi(ErcApiView):
    """An operation that changes one order: the write scope, an Idempotency-Key replays the
    first answer, and the answer is the order as it now is."""

    required_scope = settings.SCOPE_WRITE
    action = ""  # the path segment after the order, part of the idempotency key's request

    def keyed(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        key = idempotency_key(request)
        if not key:
            return self.write(request, customer_id, order_id)
        return keyed_write(
            request,
            key,
            f"{order_path(customer_id, order_id)}/{self.action}",
            request_body(request),
            lambda: self.write(request, customer_id, order_id),
        )

    def write(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        raise NotImplementedError

    def target(self, request: Request, customer_id: str, order_id: str, brand: str | None) -> Order:
        """The order to change: 404 when it is not this customer's (brand's, client's)."""
        order = selectors.order_get(
            customer_id=customer_id, order_id=order_id, brand=brand, brands=client_brands(request)
        )
        if order is None:
            raise errors.order_not_found(order_id)
        return order

    def refused(self, request: Request, error: Exception) -> HttpResponse:
        # Answered, not raised: a keyed retry replays the refusal.
        return errors.api_exception_handler(error, {"request": request, "view": self})

    def answer(
        self, request: Request, order: Order, customer_id: str, order_id: str, brand: str | None
    ) -> HttpResponse:
        href = absolute_url(request, order_path(customer_id, order_id), {"brand": brand})
        return json_response(request, body.order_body(order, self_href=href))


class OrderCancelApi(OrderWriteApi):
    action = "cancel"

    @extend_schema(
        **doc.operation(
            operation_id="cancelOrder",
            summary="Cancel an order",
            description=(
                "Cancels the order (reason default OTHER, any case) and answers the canceled "
                "order. staff_note, restock, notify_customer and refund_method are recorded "
                "with the cancellation and shown to agents: ercdash sends no email, restocks "
                "nothing and moves no money."
            ),
            ok="Order",
            ok_description="The canceled order.",
            parameters=[doc.CUSTOMER_ID, doc.ORDER_ID, doc.BRAND, doc.IDEMPOTENCY_KEY],
            not_found="No such order for this customer (and brand).",
            extra={
                422: "The order has shipped or is already canceled (order_not_cancellable), "
                "or the Idempotency-Key was first used for another request "
                "(idempotency_key_reused)."
            },
            request="CancelRequest",
        )
    )
    def post(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        return self.keyed(request, customer_id, order_id)

    def write(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        reason, details = cancel_params(request)
        brand = brand_param(request)
        order = self.target(request, customer_id, order_id, brand)
        try:
            order = services.order_cancel(
                order=order,
                reason=reason,
                actor=request.user.actor,
                channel=AccessAudit.Channel.API,
                request_id=getattr(request._request, "request_id", ""),
                details=details,
            )
        except services.OrderNotCancellable as exc:
            return self.refused(request, errors.NotCancellable(str(exc)))
        return self.answer(request, order, customer_id, order_id, brand)


class OrderChangeShippingAddressApi(OrderWriteApi):
    action = "change-shipping-address"

    @extend_schema(
        **doc.operation(
            operation_id="changeOrderShippingAddress",
            summary="Change an order's shipping address",
            description=(
                "Sends the order to another address: the fields given replace those of the "
                "current shipping address, the others keep their value. Allowed while "
                "is_change_shipping_address_allowed: not canceled, nothing shipped, latest "
                "stage at most CONFIRMED, not a store pickup. The previous address is kept "
                'in the audit log and the timeline gets "Shipping address changed".'
            ),
            ok="Order",
            ok_description="The order with its new shipping address.",
            parameters=[doc.CUSTOMER_ID, doc.ORDER_ID, doc.BRAND, doc.IDEMPOTENCY_KEY],
            not_found="No such order for this customer (and brand).",
            extra={
                422: "The order has shipped, is canceled or is a store pickup "
                "(shipping_address_not_changeable), or the Idempotency-Key was first used "
                "for another request (idempotency_key_reused)."
            },
            request="ChangeShippingAddressRequest",
        )
    )
    def post(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        return self.keyed(request, customer_id, order_id)

    def write(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        changes = shipping_address_params(request)
        brand = brand_param(request)
        order = self.target(request, customer_id, order_id, brand)
        try:
            order = services.order_change_shipping_address(
                order=order,
                changes=changes,
                actor=request.user.actor,
                channel=AccessAudit.Channel.API,
                request_id=getattr(request._request, "request_id", ""),
            )
        except services.ShippingAddressInvalid as exc:
            raise errors.InvalidParameters(exc.problems) from None
        except services.ShippingAddressNotChangeable as exc:
            return self.refused(request, errors.ShippingAddressNotChangeable(str(exc)))
        return self.answer(request, order, customer_id, order_id, brand)


def shipping_address_params(request: Request) -> dict[str, Any]:
    """The change-shipping-address body (Talkdesk's): the address fields, each optional.

    Left out or null keeps the current value. A field this API does not know is refused
    rather than ignored, so no client believes it had an effect (as for cancel). Values
    are checked by the address rules once merged with the current address.
    """
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType):
        data = None
    if not isinstance(data, dict):
        raise errors.InvalidParameters([("body", "Must be a JSON object.")])
    problems = [
        (field_name(name), "Unknown field; this operation does not act on it.")
        for name in data
        if name not in addresses.FIELDS
    ]
    problems += [
        (name, "Must be a string.")
        for name in addresses.FIELDS
        if data.get(name) is not None and not isinstance(data[name], str)
    ]
    if problems:
        raise errors.InvalidParameters(problems)
    return {name: data[name] for name in addresses.FIELDS if data.get(name) is not None}


def request_body(request: Request) -> Any:
    """The parsed body for the idempotency fingerprint; None when it does not parse (the
    write then fails on it and nothing is kept)."""
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType):
        return None
    return dict(data.lists()) if hasattr(data, "lists") else data


def keyed_write(
    request: Request, key: str, path: str, data: Any, write: Callable[[], HttpResponse]
) -> HttpResponse:
    """Run a write under an Idempotency-Key: reserved, done and answered in one transaction.

    A retry of the same request replays the first answer; the key with another request is
    422 before anything happens. A write that raises (400, 404) rolls the reservation back
    with it, so the key stays free for a corrected request.
    """
    client_id = request.user.client_id
    fingerprint = services.request_fingerprint(
        method=request.method, path=path, query=list(request.query_params.lists()), data=data
    )
    services.idempotency_keys_expire()
    with transaction.atomic():
        try:
            stored = services.idempotency_reserve(
                client_id=client_id,
                key=key,
                method=request.method,
                path=path,
                fingerprint=fingerprint,
            )
        except services.IdempotencyKeyReused:
            raise errors.IdempotencyKeyReused() from None
        if stored is not None:
            return replay(stored)
        response = write()
        services.idempotency_complete(
            client_id=client_id, key=key, status=response.status_code, body=response.content
        )
    return response


def idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if key and not IDEMPOTENCY_KEY_RE.match(key):
        raise errors.InvalidParameters(
            [("Idempotency-Key", "Must be 1-255 visible ASCII characters.")]
        )
    if cards.contains_full_card_number(key):
        # The key is stored with the answer: it must not hold a card number.
        raise errors.InvalidParameters([("Idempotency-Key", cards.PAN_DESCRIPTION)])
    return key


def replay(stored) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type="application/json"
    )
    response["Idempotent-Replayed"] = "true"
    return response


def field_name(name: object) -> str:
    """A client's field name, fit to repeat in an error: short, and never a card number."""
    name = str(name)
    return "<redacted>" if cards.contains_full_card_number(name) else name[:64]


CANCEL_FIELDS = ("cancel_reason", "staff_note", "restock", "notify_customer", "refund_method")
MAX_STAFF_NOTE = 500
MAX_REFUND_METHOD = 64


def cancel_params(request: Request) -> tuple[str, services.CancelDetails]:
    """The cancel body (Talkdesk's): every field optional, null the same as left out.

    cancel_reason is matched case-insensitively (Talkdesk's own example sends "other") and
    defaults to OTHER. The other fields are checked for type and recorded; a field this API
    does not know is refused rather than ignored, so no client believes it had an effect.
    """
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType):
        data = None
    if not isinstance(data, dict):
        raise errors.InvalidParameters([("body", "Must be a JSON object.")])
    problems = [
        (field_name(name), "Unknown field; this operation does not act on it.")
        for name in data
        if name not in CANCEL_FIELDS
    ]
    reason = data.get("cancel_reason")
    if reason is None:
        reason = CancelReason.OTHER
    elif isinstance(reason, str) and reason.upper() in CancelReason.values:
        reason = reason.upper()
    else:
        allowed = ", ".join(CancelReason.values)
        problems.append(("cancel_reason", f"One of {allowed} (any case); default OTHER."))
    texts = {"staff_note": MAX_STAFF_NOTE, "refund_method": MAX_REFUND_METHOD}
    for name, max_length in texts.items():
        value = data.get(name)
        problem = text.free_text_problem(value, max_length=max_length) if value is not None else ""
        if problem:
            problems.append((name, problem))
    for name in ("restock", "notify_customer"):
        if data.get(name) is not None and not isinstance(data[name], bool):
            problems.append((name, "Must be true or false."))
    if problems:
        raise errors.InvalidParameters(problems)
    details = services.CancelDetails(
        staff_note=data.get("staff_note") or "",
        restock=data.get("restock"),
        notify_customer=data.get("notify_customer"),
        refund_method=data.get("refund_method") or "",
    )
    return reason, details


def customer_path(customer_id: str) -> str:
    return f"/erc/ecommerce/customers/{customer_id}"


def kept_query(
    request: Request, names: tuple[str, ...], **replace: str | list[str]
) -> dict[str, str | list[str]]:
    """The request's own values of `names` (for self links), with some replaced (next, page)."""
    query: dict[str, str | list[str]] = {name: request.query_params.get(name, "") for name in names}
    query.update(replace)
    return query


CURSOR_QUERY = ("brand", "limit", "order_by", "search", "cursor")


def order_entries(request: Request, orders: list, brand: str) -> list[orjson.Fragment]:
    """Each order's stored document with its self link, embedded as already-encoded JSON."""
    return [
        orjson.Fragment(
            order_document_body(
                request,
                order.document,
                customer_id=order.customer.external_id,
                order_id=order.external_id,
                brand=brand,
                brands=client_brands(request),
            )
        )
        for order in orders
    ]


def order_list_response(request: Request, path: str, queryset, params) -> HttpResponse:
    """One keyset page of orders, in a single query whatever the limit."""
    brand = brand_param(request)
    queryset = selectors.order_list_entries(queryset)
    orders, more = pagination.take_page(pagination.order_keyset(queryset, params), params.limit)
    cursor = pagination.order_cursor(orders[-1], params) if more else None
    entries = order_entries(request, orders, brand)
    return cursor_list_response(request, path, "orders", entries, CURSOR_QUERY, cursor)


def cursor_list_response(
    request: Request,
    path: str,
    name: str,
    entries: list[dict],
    query_names: tuple[str, ...],
    next_cursor: str | None,
) -> HttpResponse:
    """The ERC cursor-list body; `next` only when there is a next page."""
    next_href = None
    if next_cursor is not None:
        query = kept_query(request, query_names, cursor=next_cursor)
        next_href = absolute_url(request, path, query)
    body = shapes.cursor_list_body(
        name,
        entries,
        self_href=absolute_url(request, path, kept_query(request, query_names)),
        next_href=next_href,
    )
    return json_response(request, body)


class CustomerOrdersApi(ErcApiView):
    @extend_schema(
        **doc.operation(
            operation_id="listCustomerOrders",
            summary="List a customer's orders",
            description=(
                "Cursor list of full order bodies, newest purchase first by default; search "
                "by order number."
            ),
            ok="OrderList",
            ok_description="One page of orders; _links.next only when more remain.",
            parameters=[doc.CUSTOMER_ID, *doc.CURSOR_LIST, doc.SEARCH],
            not_found="No such customer.",
        )
    )
    def get(self, request: Request, customer_id: str) -> HttpResponse:
        params = pagination.cursor_params(request, kind="orders")
        brands = client_brands(request)
        if not selectors.customer_exists(customer_id=customer_id, brands=brands):
            raise errors.customer_not_found(customer_id)
        orders = selectors.customer_orders_query(
            customer_id=customer_id,
            brand=brand_param(request),
            brands=brands,
            search=request.query_params.get("search", ""),
        )
        return order_list_response(request, customer_path(customer_id) + "/orders", orders, params)


class OrderListApi(ErcApiView):
    @extend_schema(
        **doc.operation(
            operation_id="listOrders",
            summary="List every order of the account",
            description="Cursor list of full order bodies across customers; search by number.",
            ok="OrderList",
            ok_description="One page of orders; _links.next only when more remain.",
            parameters=[*doc.CURSOR_LIST, doc.SEARCH],
        )
    )
    def get(self, request: Request) -> HttpResponse:
        params = pagination.cursor_params(request, kind="orders")
        orders = selectors.orders_search(
            search=request.query_params.get("search", ""),
            brand=brand_param(request),
            brands=client_brands(request),
        )
        return order_list_response(request, "/erc/ecommerce/orders", orders, params)


class OrderItemsApi(ErcApiView):
    @extend_schema(
        **doc.operation(
            operation_id="listOrderItems",
            summary="List an order's items",
            description=(
                "Cursor list of the order's items, in the order's own sequence, each with the "
                "parcels it travels in. The delivery filters keep the items with a parcel "
                "that matches all of them."
            ),
            ok="ItemList",
            ok_description="One page of items; _links.next only when more remain.",
            parameters=[
                doc.CUSTOMER_ID,
                doc.ORDER_ID,
                doc.BRAND,
                doc.LIMIT,
                doc.CURSOR,
                *doc.ITEM_DELIVERY_FILTERS,
            ],
            not_found="No such order for this customer (and brand).",
        )
    )
    def get(self, request: Request, customer_id: str, order_id: str) -> HttpResponse:
        problems: list[tuple[str, str]] = []
        try:
            params = pagination.cursor_params(request, kind="items", ordered=False)
        except errors.InvalidParameters as exc:
            problems = exc.fields
        filters = delivery_filters(request, problems)
        if problems:
            raise errors.InvalidParameters(problems)
        brand = brand_param(request)
        order = selectors.order_get(
            customer_id=customer_id, order_id=order_id, brand=brand, brands=client_brands(request)
        )
        if order is None:
            raise errors.order_not_found(order_id)
        items_query = selectors.order_items_query(order=order, **filters)
        queryset = pagination.item_keyset(items_query, params)
        items, more = pagination.take_page(queryset, params.limit)
        path = order_path(customer_id, order_id) + "/items"
        cursor = pagination.item_cursor(items[-1]) if more else None
        lines = selectors.item_shipment_lines(items=items)
        entries = [shapes.item_with_deliveries(item, lines) for item in items]
        return cursor_list_response(
            request, path, "items", entries, ("brand", "limit", "cursor", *DELIVERY_FILTERS), cursor
        )


DELIVERY_FILTERS = (
    "carrier",
    "delivery_type",
    "delivery_date_start",
    "delivery_date_end",
    "shipping_date",
)
DATE_DESCRIPTION = "Must be a date (2021-10-25) or an RFC 3339 timestamp."


def delivery_filters(request: Request, problems: list[tuple[str, str]]) -> dict[str, Any]:
    """The items list's delivery filters; a problem is added for each bad one."""
    query = request.query_params
    filters: dict[str, Any] = {}
    if query.get("carrier", "").strip():
        filters["carrier"] = query["carrier"].strip()
    delivery_type = query.get("delivery_type", "")
    if delivery_type and delivery_type not in DeliveryType.values:
        problems.append(("delivery_type", "Must be one of " + ", ".join(DeliveryType.values) + "."))
    elif delivery_type:
        filters["delivery_type"] = delivery_type
    for name in ("delivery_date_start", "delivery_date_end", "shipping_date"):
        raw = query.get(name, "")
        if not raw:
            continue
        moment = times.parse_date_or_timestamp(raw)
        if moment is None:
            problems.append((name, DATE_DESCRIPTION))
        else:
            filters[name] = moment
    return filters


MAX_LISTED_VALUES = 100


def listed_values(request: Request, name: str) -> list[str]:
    """A list parameter: repeated (name=a&name=b, also name[]=a) or comma-separated."""
    values = []
    for raw in request.query_params.getlist(name) + request.query_params.getlist(name + "[]"):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


class CustomerShipmentsApi(ErcApiView):
    QUERY = (
        "brand",
        "limit",
        "order_by",
        "cursor",
        "order_id",
        "order_ids",
        "tracking_number",
        "shipping_provider",
        "delivery_statuses",
    )

    @extend_schema(
        **doc.operation(
            operation_id="listCustomerShipments",
            summary="List a customer's shipments",
            description=(
                "Cursor list of the customer's parcels (Talkdesk's Shipment shape), the most "
                "recently shipped first by default. Filters combine; a list filter takes "
                "repeated or comma-separated values."
            ),
            ok="ShipmentList",
            ok_description="One page of shipments; _links.next only when more remain.",
            parameters=[doc.CUSTOMER_ID, *doc.SHIPMENT_FILTERS, doc.BRAND, doc.LIMIT, doc.CURSOR,
                        doc.SHIPMENTS_ORDER_BY],
            not_found="No such customer.",
        )
    )  # fmt: skip
    def get(self, request: Request, customer_id: str) -> HttpResponse:
        problems: list[tuple[str, str]] = []
        order_id = request.query_params.get("order_id", "").strip()
        if order_id and not ID_RE.match(order_id):
            problems.append(("order_id", "Must be 1-128 characters from A-Z a-z 0-9 . _ ~ : @ -"))
        order_ids = listed_values(request, "order_ids")
        if len(order_ids) > MAX_LISTED_VALUES or not all(ID_RE.match(v) for v in order_ids):
            problems.append(
                ("order_ids", f"At most {MAX_LISTED_VALUES} order ids, separated by commas.")
            )
        statuses = listed_values(request, "delivery_statuses")
        if not set(statuses) <= set(DetailedType.values):
            problems.append(
                ("delivery_statuses", "Each must be one of " + ", ".join(DetailedType.values) + ".")
            )
        try:
            params = pagination.cursor_params(
                request,
                kind="shipments",
                order_by_choices=pagination.SHIPMENTS_ORDER_BY_CHOICES,
            )
        except errors.InvalidParameters as exc:
            problems = exc.fields + problems
        if problems:
            raise errors.InvalidParameters(problems)
        brands = client_brands(request)
        if not selectors.customer_exists(customer_id=customer_id, brands=brands):
            raise errors.customer_not_found(customer_id)
        wanted = [order_id] if order_id else None
        if order_ids:
            # Both given: the parcels of the orders that both name.
            wanted = [value for value in order_ids if wanted is None or value in wanted]
        shipments = selectors.customer_shipments_query(
            customer_id=customer_id,
            brand=brand_param(request),
            brands=brands,
            order_ids=wanted,
            tracking_number=request.query_params.get("tracking_number", ""),
            shipping_provider=request.query_params.get("shipping_provider", ""),
            delivery_statuses=statuses,
        )
        queryset = pagination.shipment_keyset(shipments, params)
        rows, more = pagination.take_page(queryset, params.limit)
        # List filters are written back comma-separated, so links keep every value.
        query = kept_query(
            request,
            self.QUERY,
            order_ids=",".join(order_ids),
            delivery_statuses=",".join(statuses),
        )
        path = customer_path(customer_id) + "/shipments"
        next_href = None
        if more:
            next_cursor = pagination.shipment_cursor(rows[-1], params)
            next_href = absolute_url(request, path, {**query, "cursor": next_cursor})
        body = shapes.cursor_list_body(
            "shipments",
            [shapes.shipment_body(shipment) for shipment in rows],
            self_href=absolute_url(request, path, query),
            next_href=next_href,
        )
        return json_response(request, body)


class CustomerDetailApi(ErcApiView):
    @extend_schema(
        **doc.operation(
            operation_id="getCustomer",
            summary="Get a customer",
            description=(
                "The customer with every address, and the average final total of their "
                "orders that are not canceled (of the brand, when given) when those share "
                "one currency."
            ),
            ok="Customer",
            ok_description="The customer.",
            parameters=[doc.CUSTOMER_ID, doc.BRAND],
            not_found="No such customer (of this brand).",
            etag=True,
        )
    )
    def get(self, request: Request, customer_id: str) -> HttpResponse:
        brand = brand_param(request)
        customer = selectors.customer_get(
            customer_id=customer_id, brand=brand, brands=client_brands(request), order_value=True
        )
        if customer is None:
            raise errors.customer_not_found(customer_id)
        href = absolute_url(request, customer_path(customer_id), {"brand": brand})
        body = shapes.customer_detail_body(customer, self_href=href)
        return json_response(request, body, etag=True)


class MostRecentOrderApi(ErcApiView):
    @extend_schema(
        **doc.operation(
            operation_id="getMostRecentOrder",
            summary="Get a customer's most recent order",
            description=(
                "The order with the latest purchase time, its whole status timeline oldest "
                "first, the index of the latest event in it, and the item whose image is "
                "the highlighted one."
            ),
            ok="MostRecentOrder",
            ok_description="The most recent order with its timeline.",
            parameters=[doc.CUSTOMER_ID, doc.BRAND],
            not_found="No such customer, or no order of theirs (of this brand).",
            etag=True,
        )
    )
    def get(self, request: Request, customer_id: str) -> HttpResponse:
        brand = brand_param(request)
        brands = client_brands(request)
        order = selectors.most_recent_order(customer_id=customer_id, brand=brand, brands=brands)
        if order is None:
            if not selectors.customer_exists(customer_id=customer_id, brands=brands):
                raise errors.customer_not_found(customer_id)
            raise errors.NotFound(
                f"Customer {customer_id} has no orders.", message="Order not found"
            )
        href = absolute_url(request, order_path(customer_id, order.external_id), {"brand": brand})
        body = shapes.most_recent_order_body(order, self_href=href)
        return json_response(request, body, etag=True)


MAX_IDS = 100


def ids_param(request: Request) -> tuple[list[str], tuple[str, str] | None]:
    """The customer ids of `ids` and `ids[]` (each repeatable, up to 100 values), or the
    problem with them. An empty value counts as absent."""
    given = {name: request.query_params.getlist(name) for name in ("ids", "ids[]")}
    for name, values in given.items():
        if len(values) > MAX_IDS:
            return [], (name, f"At most {MAX_IDS} customer ids.")
        if any(value and not ID_RE.match(value) for value in values):
            return [], (name, "Each must be a customer id: " + ids.ID_DESCRIPTION + ".")
    found = [value for values in given.values() for value in values if value]
    return list(dict.fromkeys(found)), None


class ExternalCustomersApi(ErcApiView):
    SEARCH_QUERY = ("brand", "email", "phone", "name", "matchMode", "per_page")

    @extend_schema(
        **doc.operation(
            operation_id="searchExternalCustomers",
            summary="Search customers",
            description=(
                "Customers matching every criterion given (none given: all), by customer id, "
                "in a page envelope, as Talkdesk's contacts."
            ),
            ok="ContactPage",
            ok_description="One page of contacts.",
            parameters=[
                doc.IDS,
                doc.IDS_BRACKETS,
                doc.EMAIL,
                doc.PHONE,
                doc.NAME,
                doc.MATCH_MODE,
                doc.BRAND,
                doc.PAGE,
                doc.PER_PAGE,
            ],
        )
    )
    def get(self, request: Request) -> HttpResponse:
        match_mode, problem = pagination.choice(
            request, "matchMode", selectors.MatchMode.CHOICES, selectors.MatchMode.EXACT
        )
        customer_ids, ids_problem = ids_param(request)
        params = pagination.page_params(request, [ids_problem, problem])
        query = request.query_params
        customers = selectors.customers_search(
            email=query.get("email", ""),
            phone=query.get("phone", ""),
            name=query.get("name", ""),
            match_mode=match_mode,
            brand=brand_param(request),
            brands=client_brands(request),
            ids=customer_ids,
        )
        total = customers.count()
        # Pages past the end are empty without asking the database (and any page number fits).
        rows = (
            list(customers[params.offset : params.offset + params.per_page])
            if params.offset < total
            else []
        )
        pages = pagination.total_pages(total, params.per_page)
        path = "/erc/ecommerce/external-customers"

        def link(page: int) -> str:
            return absolute_url(
                request,
                path,
                kept_query(request, self.SEARCH_QUERY, ids=customer_ids, page=str(page)),
            )

        links = {
            "self": absolute_url(
                request, path, kept_query(request, (*self.SEARCH_QUERY, "page"), ids=customer_ids)
            ),
            "first": link(1),
            "last": link(max(pages, 1)),
        }
        if params.page > 1:
            links["prev"] = link(min(params.page - 1, max(pages, 1)))
        if params.page < pages:
            links["next"] = link(params.page + 1)
        brand = brand_param(request)
        contacts = [
            shapes.contact_body(
                customer,
                self_href=absolute_url(
                    request, customer_path(customer.external_id), {"brand": brand}
                ),
            )
            for customer in rows
        ]
        body = shapes.page_body(
            "contacts",
            contacts,
            total=total,
            page=params.page,
            per_page=params.per_page,
            total_pages=pages,
            links=links,
        )
        return json_response(request, body)


def unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /erc/ecommerce that no route serves: the JSON 404, no auth needed."""
    return errors.generic_error_response(404)
