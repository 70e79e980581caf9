"""Money cells as people type them in a Ukrainian price list: `1990`, `₴1990`, `1 990`, `1990 грн`,
`1 990,00 ₴`, `1990.50`; and nothing that is not money.

The number itself is read by Babel's `parse_decimal` with the `uk` locale in strict mode (CLDR: the decimal
separator is a comma, thousands are grouped by a no-break space; a plain point is also taken as the decimal
separator). Strict mode refuses misplaced groups (`1 99`) and more than one decimal separator (`19,90,00`), so a
typo is reported instead of read as some other amount. Spreadsheet numbers (int, float, Decimal) are taken as
they are.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal

from catalog.texts import Rejected, Text

CENT = Decimal("0.01")
MAX_PRICE = Decimal("99999999.99")  # NUMERIC(10, 2)
# The hryvnia as people write it around a number: the sign, "грн"/"грн." or the ISO code, before or after.
_CURRENCY = re.compile(r"^(?:₴|грн\.?|uah)\s*|\s*(?:₴|грн\.?|uah)$", re.IGNORECASE)
_NUMBER = re.compile(r"\d[\d\u00a0.,]*")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")  # ordinary, no-break and narrow no-break spaces, as Excel writes them


def parse_money(value: Any) -> Decimal:
    """A price cell → Decimal UAH with 2 decimals; Rejected(PRICE_NOT_A_NUMBER, PRICE_NEGATIVE
    or PRICE_ZERO) otherwise.

    More than two decimals (`1,990`, `19.999`) are refused: a shop's price has kopecks at most, and `1,990` is as
    likely a thousands comma as a decimal one.
    """
    if isinstance(value, bool):
        raise Rejected(Text.PRICE_NOT_A_NUMBER, value=value)
    if isinstance(value, int | float | Decimal):
        money = Decimal(str(value))
    else:
        money = _parse_text(str(value))
    if not money.is_finite():
        raise Rejected(Text.PRICE_NOT_A_NUMBER, value=value)
    if money < 0:
        raise Rejected(Text.PRICE_NEGATIVE, value=value)
    if money == 0:  # a "price to follow" placeholder: on sale at 0 грн the customer could never pay
        raise Rejected(Text.PRICE_ZERO, value=value)
    if money > MAX_PRICE or money != money.quantize(CENT) or _decimals(money) > 2:
        raise Rejected(Text.PRICE_NOT_A_NUMBER, value=value)
    return money.quantize(CENT)


def _parse_text(text: str) -> Decimal:
    bare = _CURRENCY.sub("", text.strip()).strip()
    negative = bare.startswith(("-", "−"))
    digits = _SPACES.sub("\u00a0", bare.lstrip("-−").strip())
    if not _NUMBER.fullmatch(digits):  # Babel would also take "1e3"
        raise Rejected(Text.PRICE_NOT_A_NUMBER, value=text)
    try:
        number = parse_decimal(digits, locale="uk", strict=True)
    except NumberFormatError:
        raise Rejected(Text.PRICE_NOT_A_NUMBER, value=text) from None
    if negative:
        raise Rejected(Text.PRICE_NEGATIVE, value=text)
    return number


def _decimals(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def money_text(amount: Decimal) -> str:
    """1990.00 → "1990", 1990.50 → "1990.50": what a person would type in a spreadsheet."""
    return f"{amount:f}" if amount != amount.to_integral_value() else str(int(amount))
