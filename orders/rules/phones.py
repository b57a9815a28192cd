"""Phone numbers: any common format in, E.164 out, checked by phonenumbers' metadata."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError

E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
PHONE_DESCRIPTION = "Must be a phone number in international form such as +351910000000."


@lru_cache(maxsize=4096)  # an import meets the same numbers again and again
def to_e164(raw: str, region: str | None = None) -> str | None:
    """E.164 for a number typed in any common format (national ones read in region), or None."""
    text = (raw or "").strip()
    if text.startswith("00"):  # international prefix as dialled in Europe
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if E164_RE.match(e164) else None


def normalize_phone(raw: str, region: str | None = None) -> str:
    """to_e164, or a ValidationError that does not repeat the value."""
    e164 = to_e164(raw, region)
    if e164 is None:
        raise ValidationError(PHONE_DESCRIPTION, code="invalid_phone")
    return e164


def validate_e164(value: str) -> None:
    if not (isinstance(value, str) and E164_RE.match(value)):
        raise ValidationError(PHONE_DESCRIPTION, code="invalid_phone")


def display(e164: str) -> str:
    """+351 912 345 678: the international format an agent reads aloud."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
