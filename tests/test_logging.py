from __future__ import annotations

import json
import logging
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest

from ercdash.logs import JsonFormatter, redact
from orders.models import AccessAudit

ROOT = Path(__file__).resolve().parent.parent

API = "/erc/ecommerce/customers/customer123/orders/order123"
CARD = "4111 1111 1111 1111"


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "ercdash.access"]


def test_each_request_writes_one_json_access_line_with_its_context(
    client, read_auth, make_order, api_application, json_log
):
    make_order()

    client.get(API, HTTP_X_REQUEST_ID="req-7", **read_auth)

    [line] = access_lines(json_log())
    assert isinstance(line.pop("duration_ms"), float)
    assert line.pop("time").endswith("+00:00")
    assert line == {
        "level": "INFO",
        "logger": "ercdash.access",
        "message": f"GET {API} 200",
        "request_id": "req-7",
        "client_id": api_application.client_id,
        "method": "GET",
        "path": API,
        "status": HTTPStatus.OK,
    }


def test_an_anonymous_request_is_logged_without_a_client_id(client, db, json_log):
    client.get(API, HTTP_X_REQUEST_ID="req-8")

    [line] = access_lines(json_log())
    assert (line["status"], line["request_id"], "client_id" in line) == (401, "req-8", False)


def test_the_logs_hold_neither_the_token_nor_card_digits(client, read_auth, db, json_log):
    token = read_auth["HTTP_AUTHORIZATION"].removeprefix("Bearer ")

    client.get(f"{API}?search={CARD}&email=john@example.com", **read_auth)
    client.get("/erc/ecommerce/customers/4111111111111111/orders/x", **read_auth)

    written = "\n".join(json.dumps(line) for line in json_log())
    assert token not in written
    assert "4111" not in written
    assert "john@example.com" not in written


def test_probes_are_not_access_logged(client, db, json_log):
    client.get("/healthz")
    client.get("/readyz")

    assert access_lines(json_log()) == []


def test_a_line_is_one_json_object_even_with_a_traceback():
    try:
        raise ValueError("two\nlines")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
        record.exc_info = sys.exc_info()

    formatted = JsonFormatter().format(record)

    assert "\n" not in formatted
    assert json.loads(formatted)["exc_info"].endswith("ValueError: two\nlines")


def test_redaction_masks_card_numbers_and_credentials():
    text = "card 4111-1111-1111-1111 Authorization: Bearer abc.DEF_123 url ?access_token=xyz&a=1"

    assert redact(text) == (
        "card [redacted] Authorization: Bearer [redacted] url ?access_token=[redacted]&a=1"
    )


def test_redaction_keeps_ids_and_short_numbers():
    text = "order 123456 customer123 +351910000000 took 12.5ms"

    assert redact(text) == text


@pytest.mark.parametrize(
    "card",
    [
        "4111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111-123",
        "6 0 1 1 1 1 1 1 1 1 1 1 1",
    ],
)
def test_redaction_masks_every_card_number_shape_alone_or_in_text(card):
    assert redact(card) == "[redacted]"
    assert redact(f"GET /x/{card}/y 200") == "GET /x/[redacted]/y 200"
    assert redact(f"bEaReR  tok-{card}").startswith("bEaReR [redacted]")
    assert card.split()[0][:4] not in redact(f"bEaReR  tok-{card}")


# Card numbers written in ways the first redaction missed: dots, no-break and double spaces,
# slashes, full-width digits.
DISGUISED_CARDS = [
    "4111.1111.1111.1111",
    "4111\u00a01111\u00a01111\u00a01111",
    "4111  1111  1111  1111",
    "4111/1111/1111/1111",
    "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11",
]

LOG_A_CARD = """
import django, logging
django.setup()
log = logging.getLogger("ercdash.test")
for card in {cards!r}:
    log.warning("card %s in a message", card)
try:
    raise ValueError("card " + {cards!r}[0])
except ValueError:
    log.exception("failed")
"""


@pytest.mark.parametrize("card", DISGUISED_CARDS)
def test_redaction_finds_card_numbers_whatever_separates_the_digits(card):
    assert redact(f"GET /x/{card}/y 200") == "GET /x/[redacted]/y 200"


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_every_log_format_redacts_disguised_card_numbers(production_env, log_format):
    production_env["LOG_FORMAT"] = log_format

    completed = subprocess.run(
        [sys.executable, "-c", LOG_A_CARD.format(cards=DISGUISED_CARDS)],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "ercdash.settings", **production_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert completed.stderr.count("[redacted]") == len(DISGUISED_CARDS) + 1
    assert "1111" not in completed.stderr
    assert "\uff11" not in completed.stderr


def test_a_card_number_sent_as_x_request_id_is_neither_logged_echoed_nor_stored(
    agent_client, make_order, json_log
):
    make_order()

    response = agent_client.get(
        "/agent/customers/customer123/orders/order123", HTTP_X_REQUEST_ID="4111111111111111"
    )

    assert response.status_code == HTTPStatus.OK
    assert "4111" not in response["X-Request-ID"]
    assert "4111" not in json.dumps(json_log())
    assert not AccessAudit.objects.filter(request_id__contains="4111").exists()
    assert AccessAudit.objects.get().request_id == response["X-Request-ID"]
