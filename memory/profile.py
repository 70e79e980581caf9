"""The family's persistent profile (`mirt_profiles`): children, style, delivery, commerce, and how complete it is.

A profile slot is a place a fact can fill: a child's height, the city. Child slots live in that child's entry of
`child_profile["children"]`; style slots live in the child's entry when the fact names a child, otherwise in
`style_preferences` for the whole family. Children are told apart by `key`, their name as first told, lower-cased:
a fact about one child never touches another's entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

UNNAMED = "#1"  # the key of a child we know about before we know the name ("доньці 128 см")


@dataclass(frozen=True)
class Slot:
    name: str
    section: str  # child / style / logistics / commerce
    many: bool = False  # a list of values (colours) rather than one value (height)
    number: tuple[int, int] | None = None  # an integer slot and its plausible range
    opposite: str | None = None  # adding a value here takes it out of the opposite list

    def parse(self, raw: str | None) -> str | int | None:
        """The slot's value from the model's text; None when it is not a plausible value."""
        text = re.sub(r"\s+", " ", str(raw or "")).strip()
        if not text:
            return None
        if self.number is None:
            return text.lower() if self.many else text
        match = re.search(r"\d+", text)
        low, high = self.number
        return int(match.group()) if match and low <= int(match.group()) <= high else None


SLOTS = {slot.name: slot for slot in (
    Slot("age", "child", number=(0, 18)),
    Slot("birth_year", "child", number=(1990, 2100)),
    Slot("height_cm", "child", number=(40, 200)),
    Slot("gender", "child"),
    Slot("body_type", "child"),
    Slot("size", "child"),
    Slot("favorite_colors", "style", many=True, opposite="avoided_colors"),
    Slot("avoided_colors", "style", many=True, opposite="favorite_colors"),
    Slot("favorite_models", "style", many=True),
    Slot("fabrics", "style", many=True, opposite="avoided_fabrics"),
    Slot("avoided_fabrics", "style", many=True, opposite="fabrics"),
    Slot("city", "logistics"),
    Slot("branch", "logistics", number=(1, 99999)),
    Slot("delivery_method", "logistics"),
    Slot("payment_preference", "commerce"),
)}
CHILD_FIELDS = ("age", "height_cm", "gender", "size")  # with a name: what a complete child entry has
FAMILY_FIELDS = ("favorite_colors", "city", "branch", "delivery_method", "payment_preference")


def child_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


@dataclass
class Profile:
    user_id: str
    children: list[dict[str, Any]] = field(default_factory=list)
    style: dict[str, Any] = field(default_factory=dict)
    logistics: dict[str, Any] = field(default_factory=dict)
    commerce: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> Profile:
        return cls(row["user_id"], list(row["child_profile"].get("children", [])), dict(row["style_preferences"]),
                   dict(row["logistics"]), dict(row["commerce"]))

    @property
    def is_empty(self) -> bool:
        return not (self.children or self.style or self.logistics or self.commerce)

    def child(self, key: str) -> dict[str, Any] | None:
        return next((c for c in self.children if c["key"] == key), None)

    def add_child(self, name: str | None) -> tuple[str | None, str | None]:
        """The key of the named child, adding it when new; and the key it replaced when a sole unnamed child
        turns out to be this one (the caller moves that child's facts). Without a name: the only child (added
        when none is known yet), or None when there are several — siblings are never guessed between."""
        if name is None or not child_key(name):
            if len(self.children) > 1:
                return None, None
            if not self.children:
                self.children.append({"key": UNNAMED})
            return self.children[0]["key"], None
        key = child_key(name)
        if self.child(key) is not None:
            return key, None
        unnamed = self.child(UNNAMED)
        if unnamed is not None and len(self.children) == 1:
            unnamed.update(key=key, name=name.strip())
            return key, UNNAMED
        self.children.append({"key": key, "name": name.strip()})
        return key, None

    def _place(self, slot: Slot, key: str) -> dict[str, Any]:
        if slot.section == "child" or (slot.section == "style" and key):
            child = self.child(key)
            if child is None:
                child = {"key": key}
                self.children.append(child)
            return child
        return {"style": self.style, "logistics": self.logistics, "commerce": self.commerce}[slot.section]

    def value(self, slot: Slot, key: str) -> Any:
        return self._place(slot, key).get(slot.name)

    def set(self, slot: Slot, key: str, value: str | int, at: datetime) -> None:
        place = self._place(slot, key)
        if slot.many:
            values = [v for v in place.get(slot.name, []) if v != value]
            place[slot.name] = [*values, value]
            if slot.opposite:
                self.unset(SLOTS[slot.opposite], key, value)
        else:
            place[slot.name] = value
        if slot.name in ("height_cm", "age"):
            place[f"{slot.name}_at"] = at.date().isoformat()

    def unset(self, slot: Slot, key: str, value: str | int) -> None:
        place = self._place(slot, key)
        remaining = [v for v in place.get(slot.name, []) if v != value]
        if remaining:
            place[slot.name] = remaining
        else:
            place.pop(slot.name, None)

    def rename_child(self, old: str, new: str) -> None:
        child = self.child(old)
        if child is not None:
            child["key"] = new

    def completeness(self) -> float:
        """Share of the fields a seller needs that are actually filled: each child's name and CHILD_FIELDS
        (averaged over the children; none known counts as empty) and the family's FAMILY_FIELDS (a favourite
        colour counts whether it is the family's or one child's)."""
        if self.children:
            child_share = sum(
                (bool(c.get("name")) + sum(bool(c.get(f)) for f in CHILD_FIELDS)) / (len(CHILD_FIELDS) + 1)
                for c in self.children
            ) / len(self.children)
        else:
            child_share = 0.0
        family = sum(bool(self.value(SLOTS[f], "")) or any(c.get(f) for c in self.children) for f in FAMILY_FIELDS)
        return round((child_share * 2 + family) / (2 + len(FAMILY_FIELDS)), 3)

    def columns(self) -> dict[str, Any]:
        return {"child_profile": {"children": self.children}, "style_preferences": self.style,
                "logistics": self.logistics, "commerce": self.commerce, "completeness_score": self.completeness()}

