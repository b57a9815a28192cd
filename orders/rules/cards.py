"""Payment cards (PCI DSS 3.4.1): only the last four digits are ever kept.

A full card number (13-19 digits passing the Luhn check) is found whatever separates its
digits: spaces of any kind, dots, dashes or slashes, and full-width digits count as digits.
Messages never repeat the value.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

PAN_DESCRIPTION = "Looks like a full payment card number; only the last four digits may be stored."
MASKED_CARD_DESCRIPTION = (
    "Must be the last four digits, optionally after mask characters (**** 4567)."
)
# A masked card: optional mask characters / spaces / dashes, then exactly four digits.
MASKED_CARD_RE = re.compile(r"^(?:[*Xx•][*Xx• -]*)?([0-9]{4})$")
# A run of digit groups, split by at most three separators (any space, dot, dash, slash).
_SEPARATOR = r"[\s./-]"
_DIGIT_GROUPS_RE = re.compile(rf"[0-9]+(?:{_SEPARATOR}{{1,3}}[0-9]+)*")
_GROUP_RE = re.compile(r"[0-9]+")
# Cheap first pass for hot paths (every log line): a superset of what the pattern above finds.
_DIGIT_RUN_RE = re.compile(r"[0-9]\D{0,3}[0-9]\D{0,3}[0-9]\D{0,3}[0-9]\D{0,3}[0-9]\D{0,3}[0-9]")
# A cheaper and stricter one, still a superset: a card number spans 13 characters or more,
# all digits or separators. Ids with runs of 6-12 digits pass the first pass, not this one.
_CARD_SPAN_RE = re.compile(rf"(?:[0-9]|{_SEPARATOR}){{13,}}")
# What contains_full_card_number looks for first: 13 digits in a row, with at most three
# separators between any two. Every card number _holds_pan accepts has such a stretch, and
# most strings of an order (times, phone numbers, URLs, ids) have none.
_THIRTEEN_DIGITS_RE = re.compile(rf"[0-9](?:{_SEPARATOR}{{0,3}}[0-9]){{12}}")
REDACTED = "[redacted]"


def _normalize(text: str) -> str:
    # NFKC turns full-width and other compatibility digits into ASCII ones ("４" -> "4")
    # and compatibility spaces into plain ones, without changing the text's length much.
    return unicodedata.normalize("NFKC", text) if not text.isascii() else text


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


def _holds_pan(run: str, *, luhn: bool = True) -> bool:
    """Whether some consecutive digit groups of the run make a Luhn-valid 13-19 digit number
    (any 13-19 digit number when luhn is False).

    Card numbers are written as whole groups ("4111 1111 1111 1111"), so a number next to
    a card number ("... 1111 2024") does not hide it, and one long digit string (an id of
    25 digits) is not read as a card.
    """
    groups = _GROUP_RE.findall(run)
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > 19:
                break
            if len(digits) >= 13 and (not luhn or luhn_ok(digits)):
                return True
    return False


def contains_full_card_number(text: object) -> bool:
    """True when text holds a 13-19 digit number that passes the Luhn check."""
    if not text or not isinstance(text, str):
        return False
    text = _normalize(text)
    if not _THIRTEEN_DIGITS_RE.search(text):
        return False
    return any(_holds_pan(match.group()) for match in _DIGIT_GROUPS_RE.finditer(text))


def contains_full_card_number_besides(text: object, own: str) -> bool:
    """contains_full_card_number, once `own` is taken out of text: a link that carries the
    thing's own number (a parcel's tracking number, a customer's id), which may be card-length
    and pass Luhn, holds a card number only if something else in it is one."""
    if own and isinstance(text, str):
        text = text.replace(own, " ")
    return contains_full_card_number(text)


def redact(text: str, *, luhn: bool = True) -> str:
    """The text with every full card number replaced by [redacted].

    luhn=False also replaces 13-19 digit numbers that fail the check (a mistyped card is
    still someone's card): what logs want, where a false alarm costs nothing.
    """
    normalized = _normalize(text)
    if not _CARD_SPAN_RE.search(normalized):
        # Nothing to replace. The text comes back normalized when the first pass finds a
        # run, as the substitution below gives it when it replaces nothing.
        if normalized is text or not _DIGIT_RUN_RE.search(normalized):
            return text
        return normalized
    if not _DIGIT_RUN_RE.search(normalized):
        return text
    return _DIGIT_GROUPS_RE.sub(
        lambda match: REDACTED if _holds_pan(match.group(), luhn=luhn) else match.group(),
        normalized,
    )


def validate_no_card_number(value: str) -> None:
    if contains_full_card_number(value):
        raise ValidationError(PAN_DESCRIPTION, code="card_number")


def card_last4(value: str) -> str:
    """Last four digits from an accepted masked form; ValidationError for anything else."""
    validate_no_card_number(value)
    match = MASKED_CARD_RE.match((value or "").strip())
    if not match:
        raise ValidationError(MASKED_CARD_DESCRIPTION, code="invalid_card_number")
    return match.group(1)


def masked(last4: str) -> str:
    """The card number as served and shown: **** **** **** 4567."""
    return f"**** **** **** {last4}" if last4 else ""
