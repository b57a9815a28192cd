"""Writes. Every write to an order, its items, timeline or addresses ends with a documents
service (order_refresh or orders_refresh_documents), which keeps the stored API document fresh.

One module per concern; callers keep using `from orders import services` and the names below.
These are re-exports: a test that patches a service's collaborator patches it in the module that
looks it up (e.g. orders.services.imports._customer_upsert), not here.
"""

from __future__ import annotations

from orders.services.audit import AuditRow, audit_record, audit_rows_write
from orders.services.cancel import CancelDetails, OrderNotCancellable, order_cancel
from orders.services.clients import (
    UnknownScopes,
    canonical_scopes,
    client_brands_set,
    client_create,
    client_scopes_set,
    client_secret_rotate,
    client_tokens_revoke,
    parse_brands,
)
from orders.services.documents import (
    order_refresh,
    orders_embedding,
    orders_refresh_documents,
    render_document,
)
from orders.services.exports import orders_export
from orders.services.idempotency import (
    KEY_LIFETIME,
    IdempotencyKeyReused,
    idempotency_complete,
    idempotency_keys_expire,
    idempotency_reserve,
    request_fingerprint,
)
from orders.services.imports import (
    IMPORT_CHUNK,
    ImportResult,
    RecordError,
    RecordRejected,
    orders_import,
)
from orders.services.roles import ROLES, role_group
from orders.services.shipping_address import (
    ShippingAddressInvalid,
    ShippingAddressNotChangeable,
    order_change_shipping_address,
    shipping_address_proposal,
)
from orders.services.shipping_address import address_values as shipping_address_values

__all__ = [
    "ROLES",
    "UnknownScopes",
    "canonical_scopes",
    "role_group",
    "IMPORT_CHUNK",
    "KEY_LIFETIME",
    "IdempotencyKeyReused",
    "CancelDetails",
    "AuditRow",
    "OrderNotCancellable",
    "ImportResult",
    "RecordError",
    "RecordRejected",
    "audit_record",
    "client_brands_set",
    "client_create",
    "client_scopes_set",
    "client_secret_rotate",
    "client_tokens_revoke",
    "idempotency_complete",
    "idempotency_keys_expire",
    "idempotency_reserve",
    "audit_rows_write",
    "order_cancel",
    "order_change_shipping_address",
    "ShippingAddressInvalid",
    "ShippingAddressNotChangeable",
    "shipping_address_proposal",
    "shipping_address_values",
    "order_refresh",
    "orders_embedding",
    "orders_export",
    "orders_import",
    "orders_refresh_documents",
    "parse_brands",
    "render_document",
    "request_fingerprint",
]
