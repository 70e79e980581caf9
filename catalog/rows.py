"""What every catalog file format shares: numbered rows, the problems found in them, the known columns, and one
product written back as the cells of a row (the import format, so an exported file imports back unchanged)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog.money import money_text
from catalog.products import COLUMNS, REQUIRED
from catalog.texts import Rejected, Text
from models.products import Product


@dataclass(frozen=True)
class Row:
    line: int  # the file's line, or the spreadsheet's row number
    values: dict[str, Any]


@dataclass(frozen=True)
class RowError:
    line: int  # 0: the whole file
    reason: Rejected


class FileRejected(Exception):
    """The file cannot be imported; every problem found, by line."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


@dataclass(frozen=True)
class CatalogFile:
    """The rows of a file and how it was read (format, encoding, delimiter or sheet), for the import summary."""

    rows: list[Row]
    read_as: Text
    details: dict[str, str] = field(default_factory=dict)


def check_columns(columns: list[str], line: int) -> None:
    """A header row (lower-cased names) at `line`; FileRejected listing every unknown and missing column."""
    errors = column_errors(columns, line, required=True)
    if errors:
        raise FileRejected(errors)


def column_errors(columns: list[str], line: int, required: bool) -> list[RowError]:
    """Unknown columns, and with `required` the missing required ones, as errors at `line`."""
    unknown = [c for c in columns if c not in COLUMNS]
    errors = [RowError(line, Rejected(Text.COLUMN_UNKNOWN, column=c, columns=", ".join(COLUMNS))) for c in unknown]
    if required:
        errors += [RowError(line, Rejected(Text.COLUMN_MISSING, column=c)) for c in REQUIRED if c not in columns]
    return errors


def _sized(values: dict[str, Any]) -> str:
    return ", ".join(f"{size}:{value}" for size, value in values.items())


# One entry per column of COLUMNS: the product's value as a spreadsheet cell.
_CELLS: dict[str, Callable[[Product], str]] = {
    "sku": lambda p: p.sku,
    "name": lambda p: p.name,
    "description": lambda p: p.description or "",
    "category": lambda p: p.category or "",
    "subcategory": lambda p: p.subcategory or "",
    "price": lambda p: money_text(p.price),
    "price_by_size": lambda p: _sized({size: money_text(price) for size, price in p.price_by_size.items()}),
    "sizes": lambda p: ", ".join(p.sizes),
    "colors": lambda p: ", ".join(p.colors),
    "photo_url": lambda p: p.photo_url or "",
    "color_photos": lambda p: ", ".join(f"{color}:{url}" for color, url in p.color_photos.items()),
    "is_active": lambda p: "так" if p.is_active else "ні",
    "crm_product_id": lambda p: p.crm_product_id or "",
    "stock": lambda p: _sized({size: p.stock[size] for size in p.sizes if size in p.stock}),
    "crm_variation_ids": lambda p: _sized(p.crm_variation_ids),
}


def product_cells(product: Product) -> list[str]:
    """The product as one row of text cells, in the order of COLUMNS."""
    return [_CELLS[column](product) for column in COLUMNS]
