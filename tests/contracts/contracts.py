"""Talkdesk's ERC shapes (erc_bridge.schema.json) and which one each operation answers.

Used by the contract tests in-process and by the schemathesis run against a real server
(a check registered in schemathesis_hooks.py), so every served body meets the same bar.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA = json.loads((Path(__file__).parent / "erc_bridge.schema.json").read_text())

ID = r"[^/]+"
CUSTOMER = rf"/erc/ecommerce/customers/{ID}"
ORDER = rf"{CUSTOMER}/orders/{ID}"
# (method, path pattern, the shape of a 200)
OPERATIONS: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(rf"^{ORDER}/?$"), "Order"),
    ("GET", re.compile(rf"^{ORDER}/items/?$"), "ItemList"),
    ("GET", re.compile(rf"^{ORDER}/cancel-preview/?$"), "CancelPreview"),
    # Talkdesk's reference says "200 - no content" for cancel, yet describes the order:
    # ercdash answers the canceled order, which a client that ignores the body never sees.
    ("POST", re.compile(rf"^{ORDER}/cancel/?$"), "Order"),
    ("POST", re.compile(rf"^{ORDER}/change-shipping-address/?$"), "Order"),
    ("GET", re.compile(rf"^{CUSTOMER}/orders/?$"), "OrderList"),
    ("GET", re.compile(rf"^{CUSTOMER}/most-recent-order/?$"), "MostRecentOrder"),
    ("GET", re.compile(rf"^{CUSTOMER}/shipments/?$"), "ShipmentList"),
    ("GET", re.compile(rf"^{CUSTOMER}/?$"), "Customer"),
    ("GET", re.compile(r"^/erc/ecommerce/external-customers/?$"), "ContactPage"),
    ("GET", re.compile(r"^/erc/ecommerce/orders/?$"), "OrderList"),
]


@cache
def validator(shape: str) -> Draft202012Validator:
    schema = {**SCHEMA, "$ref": f"#/$defs/{shape}"}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def shape_for(method: str, path: str, status: int) -> str | None:
    """The shape Talkdesk's client expects for this answer; None when it expects no body."""
    if status >= 400:
        return "Error"
    if status != 200:
        return None  # 204 (OPTIONS), 304 (If-None-Match)
    for operation_method, pattern, shape in OPERATIONS:
        if operation_method == method and pattern.match(path):
            return shape
    raise LookupError(f"No contract for {method} {path}")


def problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """Every way the body breaks Talkdesk's shape, as 'at <json path>: <message>'."""
    shape = shape_for(method, path, status)
    if shape is None:
        return []
    return [
        f"{shape} at {error.json_path}: {error.message}"
        for error in sorted(validator(shape).iter_errors(body), key=lambda e: list(e.path))
    ]
