"""A product as the shop sells it, and turning one spreadsheet or YAML row into one (or into every reason it can't)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from catalog.money import parse_money
from catalog.sizes import parse_size, sorted_sizes
from catalog.texts import Rejected, Text
from models.products import Product

COLUMNS = ("sku", "name", "description", "category", "subcategory", "price", "price_by_size", "sizes", "colors",
           "photo_url", "color_photos", "is_active", "crm_product_id", "stock", "crm_variation_ids")
REQUIRED = ("sku", "name", "price", "sizes")
_MAX_STOCK = 100_000
_YES = {"так", "1", "true", "yes", "y", "+", "активний", "в продажу"}
_NO = {"ні", "0", "false", "no", "n", "-", "неактивний", "знято"}
# `колір:https://…` pairs; a comma only separates pairs where the next one starts (URLs may contain commas).
_PAIR_SPLIT = re.compile(r"\s*,\s*(?=[^,:]+:)")
# `122-128:1 990,00 ₴, 134-140:2190`: a comma separates pairs only before the next size, so prices may have one.
_SIZE_PAIR_SPLIT = re.compile(r"\s*,\s*(?=\d{2,3}(?:\s*[-–—]\s*\d{2,3})?\s*:)")


class InvalidProduct(ValueError):
    def __init__(self, reasons: list[Rejected]) -> None:
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = reasons


def parse_product(raw: Mapping[str, Any]) -> Product:
    """Validate one row (CSV cells or YAML values); every problem is collected, not just the first."""
    reasons: list[Rejected] = []

    def attempt(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except Rejected as exc:
            reasons.append(exc)
            return None

    for column in REQUIRED:
        if _blank(raw.get(column)):
            reasons.append(Rejected(Text.VALUE_MISSING, column=column))
    price = None if _blank(raw.get("price")) else attempt(parse_money, raw["price"])
    sizes = attempt(_sizes, raw.get("sizes")) or ()
    colors = attempt(_colors, raw.get("colors")) or ()
    price_by_size = attempt(_price_by_size, raw.get("price_by_size"), sizes) or {}
    color_photos = attempt(_color_photos, raw.get("color_photos"), colors) or {}
    variation_ids = attempt(_variation_ids, raw.get("crm_variation_ids"), sizes, colors) or {}
    photo_url = attempt(_url, raw.get("photo_url"))
    is_active = attempt(_flag, raw.get("is_active"), "is_active")
    stock = attempt(_stock, raw.get("stock"), sizes) or {}
    if reasons:
        raise InvalidProduct(reasons)
    return Product(
        sku=_text(raw["sku"]), name=_text(raw["name"]), price=price, sizes=sizes, colors=colors,
        description=_optional(raw.get("description")), category=_optional(raw.get("category")),
        subcategory=_optional(raw.get("subcategory")), photo_url=photo_url, color_photos=color_photos,
        price_by_size=price_by_size, is_active=is_active, crm_product_id=_optional(raw.get("crm_product_id")),
        stock=stock, crm_variation_ids=variation_ids,
    )


def _sizes(value: Any) -> tuple[str, ...]:
    labels = [parse_size(item).label for item in _items(value)]
    duplicate = next((label for i, label in enumerate(labels) if label in labels[:i]), None)
    if duplicate:
        raise Rejected(Text.SIZE_DUPLICATE, value=duplicate)
    return tuple(size.label for size in sorted_sizes(labels))


def _colors(value: Any) -> tuple[str, ...]:
    colors = [_text(item) for item in _items(value)]
    folded = [c.casefold() for c in colors]
    duplicate = next((c for i, c in enumerate(colors) if folded[i] in folded[:i]), None)
    if duplicate:
        raise Rejected(Text.COLOUR_DUPLICATE, value=duplicate)
    return tuple(colors)


def _price_by_size(value: Any, sizes: tuple[str, ...]) -> dict[str, Decimal]:
    pairs = _pairs(value, _size_pairs, Text.PRICE_BY_SIZE_MALFORMED)
    prices: dict[str, Decimal] = {}
    for size_text, price_text in pairs:
        size = parse_size(size_text).label
        if size not in sizes:
            raise Rejected(Text.PRICE_FOR_UNKNOWN_SIZE, size=size)
        prices[size] = parse_money(price_text)
    return prices


def _stock(value: Any, sizes: tuple[str, ...]) -> dict[str, int]:
    """`110-116:3, 122-128:0` (sizes not named are not counted), or one number for every size; blank: none."""
    if _blank(value):
        return {}
    if not isinstance(value, Mapping) and ":" not in str(value):
        count = _count(value, value)
        return {size: count for size in sizes}
    stock: dict[str, int] = {}
    for size_text, count_text in _pairs(value, _size_pairs, Text.STOCK_MALFORMED):
        size = parse_size(size_text).label
        if size not in sizes:
            raise Rejected(Text.STOCK_FOR_UNKNOWN_SIZE, size=size)
        stock[size] = _count(count_text, value)
    return stock


def _count(text: Any, cell: Any) -> int:
    word = _text(text)
    if isinstance(text, bool) or not word.isdigit() or int(word) > _MAX_STOCK:
        raise Rejected(Text.STOCK_MALFORMED, value=cell)
    return int(word)


def _variation_ids(value: Any, sizes: tuple[str, ...], colors: tuple[str, ...]) -> dict[str, int]:
    """`122-128:8812, 134-140/рожевий:8813` (or a YAML mapping) → {"122-128": 8812, "134-140/рожевий": 8813}."""
    ids: dict[str, int] = {}
    for key, id_text in _pairs(value, _items, Text.VARIATION_IDS_MALFORMED):
        size_text, _, color = (part.strip() for part in key.partition("/"))
        size = parse_size(size_text).label
        if size not in sizes:
            raise Rejected(Text.VARIATION_FOR_UNKNOWN_SIZE, size=size)
        if color and color not in colors:
            raise Rejected(Text.VARIATION_FOR_UNKNOWN_COLOUR, color=color)
        if not id_text.isdigit() or int(id_text) == 0:
            raise Rejected(Text.VARIATION_ID_INVALID, value=id_text)
        ids[f"{size}/{color}" if color else size] = int(id_text)
    return ids


def _color_photos(value: Any, colors: tuple[str, ...]) -> dict[str, str]:
    pairs = _pairs(value, lambda v: _PAIR_SPLIT.split(str(v).strip()), Text.COLOR_PHOTOS_MALFORMED)
    photos: dict[str, str] = {}
    for color, url in pairs:
        if color not in colors:
            raise Rejected(Text.PHOTO_FOR_UNKNOWN_COLOUR, color=color)
        photos[color] = _url(url)
    return photos


def _pairs(value: Any, split: Any, malformed: Text) -> list[tuple[str, str]]:
    """`key:value, key:value` text or a YAML mapping → stripped (key, value) pairs."""
    if _blank(value):
        return []
    if isinstance(value, Mapping):
        return [(_text(k), _text(v)) for k, v in value.items()]
    pairs = []
    for item in split(value):
        key, sep, rest = str(item).partition(":")
        if not sep or not key.strip() or not rest.strip():
            raise Rejected(malformed, value=value)
        pairs.append((key.strip(), rest.strip()))
    return pairs


def _size_pairs(value: Any) -> list[str]:
    return [part for part in _SIZE_PAIR_SPLIT.split(str(value).strip()) if part]


def _url(value: Any) -> str | None:
    if _blank(value):
        return None
    url = _text(value)
    if not re.fullmatch(r"https?://\S+", url):
        raise Rejected(Text.URL_INVALID, value=url)
    return url


def _flag(value: Any, column: str) -> bool:
    if isinstance(value, bool):
        return value
    if _blank(value):
        return True
    word = _text(value).lower()
    if word in _YES or word in _NO:
        return word in _YES
    raise Rejected(Text.FLAG_INVALID, value=value, column=column)


def _items(value: Any) -> list[Any]:
    if _blank(value):
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if not _blank(v)]
    return [part for part in (p.strip() for p in str(value).split(",")) if part]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return " ".join(str(value).split())


def _optional(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()
