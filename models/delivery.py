"""Where a parcel goes: a Nova Poshta branch or parcel locker, by its number."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PointKind(StrEnum):
    BRANCH = "branch"
    PARCEL_LOCKER = "parcel_locker"


@dataclass(frozen=True)
class DeliveryPoint:
    """A Nova Poshta point: its kind and number (branch №25, parcel locker №1234)."""

    kind: PointKind
    number: int
