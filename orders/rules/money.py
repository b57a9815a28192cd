"""Money: ISO 4217 currencies, amounts in a currency's minor units, and price totals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision, list_currencies
from django.core.exceptions import ValidationError

CURRENCIES = frozenset(list_currencies())
CURRENCY_DESCRIPTION = "Must be an ISO 4217 currency code such as EUR."
# The amounts of a price summary, in the order the API serves them.
AMOUNT_FIELDS = (
    "original_total_amount",
    "discounts_amount",
    "shipping_amount",
    "taxes_amount",
    "final_total_amount",
)
# Stored as DECIMAL(15, 3): 12 digits before the point, 3 after (models.MONEY).
MAX_AMOUNT = Decimal(10) ** 12

# Minor units (JPY 0, EUR 2, KWD 3) from CLDR via babel, looked up once: the import path asks
# for every amount.
_MINOR_UNITS = {currency: get_currency_precision(currency) for currency in CURRENCIES}


def currency_exponent(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def is_currency(value: object) -> bool:
    return isinstance(value, str) and value in CURRENCIES


def validate_currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError(CURRENCY_DESCRIPTION, code="invalid_currency")


def validate_amount(value: Decimal, currency: str) -> None:
    """A finite, non-negative amount with no more decimals than the currency allows."""
    if not value.is_finite():
        raise ValidationError("Must be a finite number.", code="invalid")
    if value < 0:
        raise ValidationError("Must not be negative.", code="negative")
    exponent = currency_exponent(currency)
    if -value.as_tuple().exponent > exponent and value != round(value, exponent):
        raise ValidationError(
            f"{currency} allows at most {exponent} decimal places.", code="too_many_decimals"
        )
    if value >= MAX_AMOUNT or -value.as_tuple().exponent > 3 and value != round(value, 3):
        raise ValidationError(
            "Out of range: at most 12 digits and 3 decimals.", code="out_of_range"
        )


def money_total(values: dict[str, Decimal | None]) -> Decimal | None:
    """original − discounts + shipping + taxes, or None without an original total."""
    original = values.get("original_total_amount")
    if original is None:
        return None
    return (
        original
        - (values.get("discounts_amount") or Decimal(0))
        + (values.get("shipping_amount") or Decimal(0))
        + (values.get("taxes_amount") or Decimal(0))
    )


def money_average(total: Decimal, count: int, currency: str) -> Decimal:
    """total / count in the currency's own decimals, half up (10.125 EUR -> 10.13)."""
    step = Decimal(1).scaleb(-currency_exponent(currency))
    return (total / count).quantize(step, rounding=ROUND_HALF_UP)
