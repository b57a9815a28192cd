"""External ids: customer, order, address and item ids share one alphabet."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

ID_RE = re.compile(r"^[A-Za-z0-9._~:@-]{1,128}$")
ID_DESCRIPTION = "Must be 1-128 characters from A-Z a-z 0-9 . _ ~ : @ -"


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and ID_RE.match(value) is not None


def validate_external_id(value: str) -> None:
    if not is_valid_id(value):
        raise ValidationError(ID_DESCRIPTION, code="invalid_id")
