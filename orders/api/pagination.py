"""Query-parameter parsing and pagination for the ERC lists.

Cursor lists use keyset pagination: a cursor carries the position of the last row served
(purchase time and primary key) and is signed, so a client can neither forge nor tamper
with one. Rows are ordered by purchase time with the primary key as the tiebreak, and orders
without a purchase time sort as the oldest (last in "desc", first in "asc"), so a walk over
the pages never repeats or skips a row, whatever ties or NULLs the data holds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import F, Q, QuerySet
from rest_framework.request import Request

from orders.api import errors

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_PAGE = 999_999_999
ORDER_BY_DESC = "purchase_datetime:desc"
ORDER_BY_ASC = "purchase_datetime:asc"
ORDER_BY_CHOICES = (ORDER_BY_DESC, ORDER_BY_ASC)
SHIPMENTS_ORDER_BY_DESC = "shipping_date:desc"
SHIPMENTS_ORDER_BY_CHOICES = (SHIPMENTS_ORDER_BY_DESC, "shipping_date:asc")

_CURSOR_SALT = "ercdash.api.cursor"
_DIGITS = re.compile(r"^[0-9]{1,10}$")


def _param(request: Request, name: str) -> str:
    # An empty cursor counts as absent, like brand= (both are text).
    return request.query_params.get(name, "")


def positive_int(
    request: Request, name: str, *, default: int, maximum: int
) -> tuple[int, tuple[str, str] | None]:
    """The integer value of `name` (1..maximum), or the default; with the problem, if any.

    Given but empty (page=) is no integer, so it is a problem like page=x.
    """
    if name not in request.query_params:
        return default, None
    raw = request.query_params[name]
    problem = (name, f"Must be an integer between 1 and {maximum}.")
    if not _DIGITS.match(raw) or not 1 <= int(raw) <= maximum:
        return default, problem
    return int(raw), None


def choice(
    request: Request, name: str, choices: tuple[str, ...], default: str
) -> tuple[str, tuple[str, str] | None]:
    """The value of `name` (one of `choices`), or the default; given but empty is a problem."""
    if name not in request.query_params:
        return default, None
    raw = request.query_params[name]
    if raw not in choices:
        return default, (name, "Must be one of: " + ", ".join(choices) + ".")
    return raw, None


# --- Cursor lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class CursorParams:
    limit: int
    order_by: str
    position: dict[str, Any] | None  # decoded from the cursor; None on the first page


def cursor_params(
    request: Request,
    *,
    kind: str,
    ordered: bool = True,
    order_by_choices: tuple[str, ...] = ORDER_BY_CHOICES,
) -> CursorParams:
    """limit, order_by and cursor of a cursor list, or a 400 naming every bad one.

    `kind` names the list family ("orders", "items"): a cursor only works for its own kind
    and, for ordered lists, its own order_by.
    """
    problems = []
    limit, problem = positive_int(request, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
    problems.append(problem)
    order_by = order_by_choices[0]
    if ordered:
        order_by, problem = choice(request, "order_by", order_by_choices, order_by_choices[0])
        problems.append(problem)
    position = None
    raw_cursor = _param(request, "cursor")
    if raw_cursor:
        position = _decode_cursor(raw_cursor)
        if position is None or position.get("k") != kind:
            problems.append(("cursor", "Not a cursor from this list; start again without it."))
        elif ordered and position.get("o") != order_by:
            problems.append(
                ("cursor", "This cursor belongs to another order_by; keep order_by unchanged.")
            )
    bad = [problem for problem in problems if problem]
    if bad:
        raise errors.InvalidParameters(bad)
    return CursorParams(limit=limit, order_by=order_by, position=position)


def _decode_cursor(raw: str) -> dict[str, Any] | None:
    try:
        value = signing.loads(raw, salt=_CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _encode_cursor(payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=_CURSOR_SALT, compress=True)


def _moment_keyset(
    queryset: QuerySet, params: CursorParams, field: str, *, descending: bool
) -> QuerySet:
    """Rows sorted by a nullable moment (NULL oldest), then pk, after the cursor's position."""
    if descending:
        ordering = [F(field).desc(nulls_last=True), F("pk").desc()]
    else:
        ordering = [F(field).asc(nulls_first=True), F("pk").asc()]
    queryset = queryset.order_by(*ordering)
    position = params.position
    if position is None:
        return queryset
    try:
        pk = int(position["i"])
        at = datetime.fromisoformat(position["p"]) if position["p"] is not None else None
    except (KeyError, TypeError, ValueError) as exc:  # signed by us, so only a code change
        raise errors.InvalidParameters([("cursor", "Not a cursor from this list.")]) from exc
    isnull, lt, gt = f"{field}__isnull", f"{field}__lt", f"{field}__gt"
    if descending:
        if at is None:
            after = Q(**{isnull: True}, pk__lt=pk)
        else:
            after = Q(**{lt: at}) | Q(**{field: at}, pk__lt=pk) | Q(**{isnull: True})
    elif at is None:
        after = Q(**{isnull: True}, pk__gt=pk) | Q(**{isnull: False})
    else:
        after = Q(**{gt: at}) | Q(**{field: at}, pk__gt=pk)
    return queryset.filter(after)


def order_keyset(queryset: QuerySet, params: CursorParams) -> QuerySet:
    """Orders sorted per order_by, starting after the cursor's position."""
    descending = params.order_by == ORDER_BY_DESC
    return _moment_keyset(queryset, params, "purchase_datetime", descending=descending)


def order_cursor(order: Any, params: CursorParams) -> str:
    at = order.purchase_datetime
    return _encode_cursor(
        {"k": "orders", "o": params.order_by, "p": at.isoformat() if at else None, "i": order.pk}
    )


def item_keyset(queryset: QuerySet, params: CursorParams) -> QuerySet:
    """Items in their order's sequence (position, then pk), after the cursor's position."""
    queryset = queryset.order_by("position", "pk")
    position = params.position
    if position is None:
        return queryset
    try:
        rank, pk = int(position["p"]), int(position["i"])
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.InvalidParameters([("cursor", "Not a cursor from this list.")]) from exc
    return queryset.filter(Q(position__gt=rank) | Q(position=rank, pk__gt=pk))


def item_cursor(item: Any) -> str:
    return _encode_cursor({"k": "items", "p": item.position, "i": item.pk})


def shipment_keyset(queryset: QuerySet, params: CursorParams) -> QuerySet:
    """Shipments by shipping date (those without one sort as the oldest), then primary key,
    after the cursor's position."""
    descending = params.order_by == SHIPMENTS_ORDER_BY_DESC
    return _moment_keyset(queryset, params, "shipping_date", descending=descending)


def shipment_cursor(shipment: Any, params: CursorParams) -> str:
    at = shipment.shipping_date
    return _encode_cursor(
        {
            "k": "shipments",
            "o": params.order_by,
            "p": at.isoformat() if at else None,
            "i": shipment.pk,
        }
    )


def take_page(queryset: QuerySet, limit: int) -> tuple[list, bool]:
    """One page of rows in a single query, and whether more remain after it."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


# --- Page envelope ------------------------------------------------------------------------


@dataclass(frozen=True)
class PageParams:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_params(request: Request, extra: list[tuple[str, str] | None] = ()) -> PageParams:
    """page and per_page, or a 400 naming every bad one (plus the caller's own problems)."""
    page, page_problem = positive_int(request, "page", default=1, maximum=MAX_PAGE)
    per_page, per_page_problem = positive_int(
        request, "per_page", default=DEFAULT_LIMIT, maximum=MAX_LIMIT
    )
    bad = [problem for problem in (page_problem, per_page_problem, *extra) if problem]
    if bad:
        raise errors.InvalidParameters(bad)
    return PageParams(page=page, per_page=per_page)


def total_pages(total: int, per_page: int) -> int:
    return math.ceil(total / per_page)
