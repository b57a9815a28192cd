"""The agent's formats: the interface language (English or Portuguese) with the browser's region.

The console speaks English or European Portuguese, but a London agent reads `7 Jan 2022, 00:00`,
a New York agent `Jan 7, 2022, 12:00 AM` and a Lisbon agent `07/01/2022, 00:00`. The
language comes from Django's LocaleMiddleware; the region decides dates, times, numbers and
money, and is taken from the browser's Accept-Language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from babel import localedata
from babel.core import parse_locale
from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

# Without a usable region: Babel's "en" is CLDR's American English; the Portuguese
# translation is European Portuguese, so its dates and money are Portugal's too.
DEFAULT_LOCALES = {"en": "en", "pt": "pt_PT"}

_active: ContextVar[str | None] = ContextVar("ercdash_format_locale", default=None)


def interface_language(language: str | None = None) -> str:
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    return language.split("-")[0]


def default_locale(language: str | None = None) -> str:
    return DEFAULT_LOCALES.get(interface_language(language), "en")


@lru_cache(maxsize=512)
def locale_for(accept_language: str, language: str) -> str:
    """The Babel locale for `language` (en, pt) in the region the browser prefers.

    Regions of the interface language come first, in the browser's order (`en,en-GB` is
    British), then regions of its other languages (`de-DE,en` gets English with German
    conventions, en_DE). A region CLDR has no data for is skipped.
    """
    language = interface_language(language)
    # Django's own parser: the q-value order and length limit LocaleMiddleware uses.
    tags = [tag for tag, _q in parse_accept_lang_header(accept_language or "")]
    regions = []
    for same_language in (True, False):
        for tag in tags:
            try:
                tag_language, region, _script, _variant = parse_locale(tag, sep="-")
            except ValueError:
                continue
            if region and (tag_language == language) == same_language:
                regions.append(region.upper())
    for region in regions:
        if localedata.exists(f"{language}_{region}"):
            return f"{language}_{region}"
    return default_locale(language)


def format_locale() -> str:
    """The locale activated for this request, else the active language's default."""
    return _active.get() or default_locale()


@contextmanager
def activated(locale: str) -> Iterator[None]:
    token = _active.set(locale)
    try:
        yield
    finally:
        _active.reset(token)
