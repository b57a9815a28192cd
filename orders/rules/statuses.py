"""A source platform's payment status: kept as the source says it, as one upper-case word."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

PAYMENT_STATUS_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
PAYMENT_STATUS_DESCRIPTION = "Must be a status word such as PAID or PARTIALLY_REFUNDED."


def payment_status(value: str) -> str:
    """ "partially refunded" / "partially-refunded" -> PARTIALLY_REFUNDED; "" stays ""."""
    status = "_".join(value.replace("-", " ").split()).upper()
    if status and not PAYMENT_STATUS_RE.match(status):
        raise ValidationError(PAYMENT_STATUS_DESCRIPTION, code="invalid_payment_status")
    return status
