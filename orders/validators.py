"""Value rules shared by models, admin forms, the import service and the API."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError

ID_RE = re.compile(r"^[A-Za-z0-9._~:@-]{1,128}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
REGION_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")

# ISO 4217 minor units for currencies that do not use 2 decimals. Babel knows them all,
# but a dict lookup is cheaper on the import path; tests pin it against babel.
_MINOR_UNITS = {
    "BHD": 3, "BIF": 0, "CLF": 4, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3,
    "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3,
    "UGX": 0, "UYI": 0, "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip

# A masked card: optional mask characters / spaces / dashes, then exactly four digits.
MASKED_CARD_RE = re.compile(r"^(?:[*Xx•][*Xx• -]*)?([0-9]{4})$")
# Candidate full card numbers inside free text: 13-19 digits, optionally split by spaces/dashes.
_PAN_CANDIDATE_RE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def currency_exponent(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def validate_external_id(value: str) -> None:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ValidationError(
            "Must be 1-128 characters from A-Z a-z 0-9 . _ ~ : @ -", code="invalid_id"
        )


def validate_currency(value: str) -> None:
    if not CURRENCY_RE.match(value or ""):
        raise ValidationError("Must be an ISO 4217 code such as EUR.", code="invalid_currency")


def validate_country_code(value: str) -> None:
    if not COUNTRY_RE.match(value or ""):
        raise ValidationError("Must be an ISO 3166-1 alpha-2 code such as PT.", code="invalid")


def validate_region_code(value: str) -> None:
    if not REGION_RE.match(value or ""):
        raise ValidationError("Must be an ISO 3166-2 code such as PT-11.", code="invalid")


def validate_e164(value: str) -> None:
    if not E164_RE.match(value or ""):
        raise ValidationError(
            "Must be an E.164 phone number such as +351910000000.", code="invalid"
        )


def validate_amount(value: Decimal, currency: str) -> None:
    if not value.is_finite():
        raise ValidationError("Must be a finite number.", code="invalid")
    if value < 0:
        raise ValidationError("Must not be negative.", code="negative")
    exponent = currency_exponent(currency)
    if -value.as_tuple().exponent > exponent and value != round(value, exponent):
        raise ValidationError(
            f"{currency} allows at most {exponent} decimal places.", code="too_many_decimals"
        )


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def contains_full_card_number(text: str) -> bool:
    """True when text holds a 13-19 digit number that passes the Luhn check (PCI DSS 3.4.1)."""
    if not text or not isinstance(text, str):
        return False
    for match in _PAN_CANDIDATE_RE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return True
    return False


def validate_no_card_number(value: str) -> None:
    # The message never repeats the value: it must not end up in logs or pages.
    if contains_full_card_number(value):
        raise ValidationError(
            "Looks like a full payment card number; only the last four digits may be stored.",
            code="card_number",
        )


def card_last4(value: str) -> str:
    """Last four digits from an accepted masked form; ValidationError for anything else."""
    if contains_full_card_number(value):
        validate_no_card_number(value)
    match = MASKED_CARD_RE.match((value or "").strip())
    if not match:
        raise ValidationError(
            "Must be the last four digits, optionally after mask characters (**** 4567).",
            code="invalid_card_number",
        )
    return match.group(1)
