"""Writes. Every change to an order's items or timeline goes through order_refresh_derived.

One module per concern; callers keep using `from orders import services` and the names below.
These are re-exports: a test that patches a service's collaborator patches it in the module that
looks it up (e.g. orders.services.imports._customer_upsert), not here.
"""

from __future__ import annotations

from orders.services.audit import AuditRow, audit_record, audit_rows_write
from orders.services.cancel import OrderNotCancellable, order_cancel
from orders.services.derived import (
    order_refresh_derived,
    orders_refresh_documents,
    render_document,
)
from orders.services.exports import orders_export
from orders.services.idempotency import idempotent_response
from orders.services.imports import (
    IMPORT_CHUNK,
    ImportResult,
    RecordError,
    RecordRejected,
    orders_import,
)

__all__ = [
    "IMPORT_CHUNK",
    "AuditRow",
    "OrderNotCancellable",
    "ImportResult",
    "RecordError",
    "RecordRejected",
    "audit_record",
    "audit_rows_write",
    "idempotent_response",
    "order_cancel",
    "order_refresh_derived",
    "orders_export",
    "orders_import",
    "orders_refresh_documents",
    "render_document",
]
