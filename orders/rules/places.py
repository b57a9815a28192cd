"""Places: ISO 3166-1 alpha-2 countries and ISO 3166-2 regions of them, with their names.

One data set (pycountry's copy of Debian's iso-codes) decides both which codes are valid and
what the console calls them, so a code that passes validation always has a name to show.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry
from django.core.exceptions import ValidationError

COUNTRY_DESCRIPTION = "Must be an ISO 3166-1 alpha-2 code such as PT."
REGION_DESCRIPTION = "Must be an ISO 3166-2 code such as PT-11."
REGION_COUNTRY_DESCRIPTION = "Must be a region of country_code."


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@lru_cache(maxsize=1)
def regions() -> frozenset[str]:
    # Loaded on first use: reading ~5,000 subdivisions would slow every process's start.
    return frozenset(region.code for region in pycountry.subdivisions)


def validate_country_code(value: str) -> None:
    if not (isinstance(value, str) and value in countries()):
        raise ValidationError(COUNTRY_DESCRIPTION, code="invalid_country")


def validate_region_code(value: str) -> None:
    if not (isinstance(value, str) and value in regions()):
        raise ValidationError(REGION_DESCRIPTION, code="invalid_region")


def validate_region_in_country(region: str, country: str) -> None:
    """A well-formed region must belong to the country (PT-11 is in PT)."""
    if region and country and not region.startswith(f"{country}-"):
        raise ValidationError(REGION_COUNTRY_DESCRIPTION, code="region_not_in_country")


@lru_cache(maxsize=32)
def _catalog(domain: str, locale: str) -> gettext.NullTranslations:
    # gettext tries pt_BR, then pt; English names are the catalogues' own keys.
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale], fallback=True)


@lru_cache(maxsize=4096)
def country_name(code: str, locale: str = "en") -> str:
    """PT -> "Portugal"; US in pt_PT -> "Estados Unidos". Unknown codes come back as they are."""
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return code
    # "Iran", "South Korea" rather than "Iran, Islamic Republic of" on the phone.
    name = getattr(country, "common_name", None) or country.name
    return _catalog("iso3166-1", locale).gettext(name)


@lru_cache(maxsize=4096)
def region_name(code: str, locale: str = "en") -> str:
    """PT-11 -> "Lisboa", US-KY -> "Kentucky". Unknown codes come back as they are."""
    region = pycountry.subdivisions.get(code=code) if code else None
    if region is None:
        return code
    return _catalog("iso3166-2", locale).gettext(region.name)


@lru_cache(maxsize=256)
def country_regions(country: str) -> tuple[str, ...]:
    """The ISO 3166-2 codes of the country's subdivisions (none for an unknown country)."""
    if country not in countries():
        return ()
    found = pycountry.subdivisions.get(country_code=country) or []
    return tuple(sorted(region.code for region in found))
