"""Places: ISO 3166-1 alpha-2 countries and ISO 3166-2 regions of them."""

from __future__ import annotations

import re

from babel import Locale
from django.core.exceptions import ValidationError

# ISO 3166-1 alpha-2 as CLDR knows it, without its pseudo-regions (EU, UN, ZZ ...).
COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "UN", "QO", "ZZ"}
)
REGION_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
COUNTRY_DESCRIPTION = "Must be an ISO 3166-1 alpha-2 code such as PT."
REGION_DESCRIPTION = "Must be an ISO 3166-2 code such as PT-11."
REGION_COUNTRY_DESCRIPTION = "Must be a region of country_code."


def validate_country_code(value: str) -> None:
    if not (isinstance(value, str) and value in COUNTRIES):
        raise ValidationError(COUNTRY_DESCRIPTION, code="invalid_country")


def validate_region_code(value: str) -> None:
    if not (isinstance(value, str) and REGION_RE.match(value)):
        raise ValidationError(REGION_DESCRIPTION, code="invalid_region")


def validate_region_in_country(region: str, country: str) -> None:
    """A well-formed region must belong to the country (PT-11 is in PT)."""
    if region and country and not region.startswith(f"{country}-"):
        raise ValidationError(REGION_COUNTRY_DESCRIPTION, code="region_not_in_country")
