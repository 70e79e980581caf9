"""The one size rule, used everywhere a size is recommended.

A size is labelled by a child's height: a single height (`122`) or a range (`122-128`) whose upper number counts.
It fits a child up to 2 cm taller than that number; a taller child goes up one size. Sizes follow the 6 cm
height grid, so a size starts where the size one step below it stops fitting: `122-128` fits 119-130 cm, a single
`128` fits 125-130 cm, so the smallest size `80-92` still fits a 77 cm child, and a single `98` a 95 cm one.
Recommendations are made only among the sizes a product has; outside them the answer is honestly "no size".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from catalog.texts import Rejected, Text, Texts

TALLER_TOLERANCE_CM = 2
GRID_STEP_CM = 6
_LABEL = re.compile(r"(\d{2,3})(?:-(\d{2,3}))?")
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-"})

# Typical height (cm) by age in years: only to ask a better question, never to choose a size.
TYPICAL_HEIGHT_CM = {
    1: (72, 80), 2: (84, 92), 3: (92, 100), 4: (99, 107), 5: (106, 114), 6: (112, 120), 7: (118, 126),
    8: (124, 132), 9: (129, 137), 10: (134, 142), 11: (139, 147), 12: (145, 153), 13: (151, 159), 14: (157, 165),
}


@dataclass(frozen=True)
class Size:
    first: int
    last: int

    @property
    def label(self) -> str:
        return str(self.last) if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def fits_from(self) -> int:
        """The first height the size below this one (one grid step smaller) no longer fits."""
        return self.first - GRID_STEP_CM + TALLER_TOLERANCE_CM + 1

    @property
    def fits_to(self) -> int:
        return self.last + TALLER_TOLERANCE_CM


def parse_size(text: str) -> Size:
    """`122`, `122-128`, `122 – 128` → Size; anything else is not a size this shop sells."""
    compact = re.sub(r"\s+", "", str(text).translate(_DASHES))
    match = _LABEL.fullmatch(compact)
    if not match:
        raise Rejected(Text.SIZE_LABEL_UNKNOWN, value=text)
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if not 40 <= first <= last <= 200 or (match.group(2) and first == last):
        raise Rejected(Text.SIZE_LABEL_UNKNOWN, value=text)
    return Size(first, last)


def sorted_sizes(labels: Iterable[str]) -> list[Size]:
    return sorted((parse_size(label) for label in labels), key=lambda s: (s.last, s.first))


class Verdict(StrEnum):
    FITS = "fits"
    BELOW_SMALLEST = "below_smallest"
    ABOVE_LARGEST = "above_largest"
    NOT_AVAILABLE = "not_available"  # the product skips the size this child needs


@dataclass(frozen=True)
class SizeAdvice:
    height_cm: int
    verdict: Verdict
    size: str | None  # the label as the product has it, only when the verdict is FITS


def size_for_height(labels: Iterable[str], height_cm: int) -> SizeAdvice:
    sizes = sorted_sizes(labels)
    for size in sizes:
        if size.fits_from <= height_cm <= size.fits_to:
            return SizeAdvice(height_cm, Verdict.FITS, size.label)
    if not sizes or height_cm > sizes[-1].fits_to:
        return SizeAdvice(height_cm, Verdict.ABOVE_LARGEST, None)
    if height_cm < sizes[0].fits_from:
        return SizeAdvice(height_cm, Verdict.BELOW_SMALLEST, None)
    return SizeAdvice(height_cm, Verdict.NOT_AVAILABLE, None)


def next_size_up(labels: Iterable[str], label: str) -> str | None:
    """The product's size right above `label` (a child can grow into it), or None when `label` is its largest."""
    sizes = [size.label for size in sorted_sizes(labels)]
    index = sizes.index(label)
    return sizes[index + 1] if index + 1 < len(sizes) else None


def explain_no_size(texts: Texts, advice: SizeAdvice, product: str, labels: Iterable[str]) -> str:
    """What the bot says when a product has no size for the child (it then offers a manager)."""
    sizes = sorted_sizes(labels)
    if advice.verdict is Verdict.BELOW_SMALLEST:
        return texts.render(Text.SIZE_BELOW_SMALLEST, height=advice.height_cm, product=product,
                            smallest=sizes[0].label)
    if advice.verdict is Verdict.ABOVE_LARGEST:
        return texts.render(Text.SIZE_ABOVE_LARGEST, height=advice.height_cm, product=product,
                            largest=sizes[-1].label if sizes else "—")
    return texts.render(Text.SIZE_NOT_AVAILABLE, height=advice.height_cm, product=product,
                        sizes=", ".join(s.label for s in sizes))


def ask_height_for_age(texts: Texts, age_years: int) -> str | None:
    """A question for the exact height that mentions the typical one; None when the age is outside the table."""
    typical = TYPICAL_HEIGHT_CM.get(age_years)
    if typical is None:
        return None
    return texts.render(Text.ASK_HEIGHT_FOR_AGE, age=age_years, years=years_word(texts, age_years),
                        low=typical[0], high=typical[1])


def years_word(texts: Texts, n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return texts.render(Text.YEARS_ONE)
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return texts.render(Text.YEARS_FEW)
    return texts.render(Text.YEARS_MANY)
