"""Order documents: the import/export format (docs/data.md).

An order document is the API order body without `_links` and derived values, plus `customer`,
`items` and `status_history`. `normalize()` turns a decoded record into the exact shape
`export_document()` writes for the stored order, so "unchanged" is a plain equality and
export -> import -> export is byte-identical.

Error descriptions never repeat the offending value: a value may be a payment card number.

Modules: body (the ERC order body every face serves), codec (JSON with exact money), fields
(the allowed fields), reading (files into records), exporting, checks (per-field rules) and
importing (`normalize`). Callers use the names re-exported here.
"""

from __future__ import annotations

from orders.documents.checks import MAX_TEXT
from orders.documents.exporting import export_document
from orders.documents.fields import (
    ADDRESS_FIELDS,
    ADDRESS_VALUE_FIELDS,
    AMOUNT_FIELDS,
    CUSTOMER_FIELDS,
    EXTRA_INFO_FIELDS,
    ITEM_FIELDS,
    MONEY_FIELDS,
    ORDER_FIELDS,
    PAYMENT_FIELDS,
    PRICE_SUMMARY_FIELDS,
    STATUS_FIELDS,
)
from orders.documents.importing import NOT_FREE_TEXT, DocumentError, iter_strings, normalize
from orders.documents.reading import FileNotJson, RawRecord, parse, read

__all__ = [
    "ADDRESS_FIELDS",
    "ADDRESS_VALUE_FIELDS",
    "AMOUNT_FIELDS",
    "CUSTOMER_FIELDS",
    "EXTRA_INFO_FIELDS",
    "ITEM_FIELDS",
    "MAX_TEXT",
    "MONEY_FIELDS",
    "NOT_FREE_TEXT",
    "ORDER_FIELDS",
    "PAYMENT_FIELDS",
    "PRICE_SUMMARY_FIELDS",
    "STATUS_FIELDS",
    "DocumentError",
    "FileNotJson",
    "RawRecord",
    "export_document",
    "iter_strings",
    "normalize",
    "parse",
    "read",
]
