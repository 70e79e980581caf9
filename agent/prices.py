"""The deterministic price check: an amount in a reply must be one the tools or the dialog stated."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(r"(\d[\d\s\u00a0]*(?:[.,]\d{1,2})?)\s*(?:грн|₴|uah|гривень|гривні|гривня)", re.IGNORECASE)


def amounts(text: str) -> list[Decimal]:
    found = []
    for match in _AMOUNT.finditer(text):
        digits = re.sub(r"[\s\u00a0]", "", match.group(1)).replace(",", ".")
        try:
            found.append(Decimal(digits))
        except InvalidOperation:
            continue
    return found


def unknown_amounts(bubbles: Iterable[str], allowed: Iterable[Decimal]) -> list[Decimal]:
    known = {a.normalize() for a in allowed}
    return [a for bubble in bubbles for a in amounts(bubble) if a.normalize() not in known]
