"""schemathesis hooks for the run against a real server (tests/test_schemathesis_server.py).

Loaded by the schemathesis command through SCHEMATHESIS_HOOKS; the test passes genuine
cursors, signed with the server's key, in ERCDASH_TEST_CURSORS.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import schemathesis

from tests.contracts import contracts

# {"purchase_datetime:desc": ..., "purchase_datetime:asc": ..., "items": ...}
CURSORS: dict[str, str] = json.loads(os.environ.get("ERCDASH_TEST_CURSORS", "{}"))
# Refused by the HTTP server before the API (request line over its limit): plain text, not
# an API answer, documented as such in the OpenAPI document.
NOT_API_ANSWERS = {414}


@schemathesis.hook
def map_case(context, case):
    """A cursor is issued by the server and signed, so no string the schema allows is one:
    swap a generated cursor the schema allows for a genuine one of the same list and order_by.
    Forged and tampered cursors are tested in tests/test_api_lists.py."""
    query = case.query if isinstance(case.query, dict) else None
    cursor = query.get("cursor") if query else None
    if isinstance(cursor, str) and cursor and len(cursor) <= 256 and "\x00" not in cursor:
        if case.operation.path.endswith("/items"):
            kind = "items"
        elif case.operation.path.endswith("/shipments"):
            kind = "shipments " + str(query.get("order_by") or "shipping_date:desc")
        else:
            kind = query.get("order_by") or "purchase_datetime:desc"
        if isinstance(kind, str) and kind in CURSORS:
            query["cursor"] = CURSORS[kind]
    return case


@schemathesis.check
def talkdesk_contract(ctx, response, case):
    """Every answer is the shape a client written against Talkdesk's types reads."""
    if response.status_code in NOT_API_ANSWERS:
        return
    path = urlsplit(response.request.url).path
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} answer is not JSON") from exc
    problems = contracts.problems(case.method.upper(), path, response.status_code, body)
    if problems:
        raise AssertionError("Not Talkdesk's shape:\n" + "\n".join(problems))
