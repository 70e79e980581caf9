"""Catalog files as the shop keeps them: a spreadsheet's CSV export or YAML, read into numbered rows; CSV written back.

CSV: a header row with the column names, list cells comma-separated inside one quoted cell; `;`-separated files
(what a spreadsheet in a Ukrainian locale saves) are read too. YAML: a list of products with the same keys.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from catalog.products import COLUMNS, REQUIRED, Product
from catalog.texts import Rejected, Text


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class RowError:
    line: int
    reason: Rejected


class FileRejected(Exception):
    """The file cannot be imported; every problem found, by line."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


def read_rows(path: Path) -> list[Row]:
    kind = path.suffix.lower()
    if kind not in (".csv", ".yaml", ".yml"):
        raise FileRejected([RowError(0, Rejected(Text.FILE_BAD_FORMAT, path=path))])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileRejected([RowError(0, Rejected(Text.FILE_NOT_FOUND, path=path))]) from None
    except OSError as exc:
        raise FileRejected([RowError(0, Rejected(Text.FILE_UNREADABLE, path=path, error=exc.strerror))]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileRejected([RowError(line, Rejected(Text.FILE_NOT_UTF8, position=exc.start))]) from None
    rows = _csv_rows(text) if kind == ".csv" else _yaml_rows(text)
    if not rows:
        raise FileRejected([RowError(0, Rejected(Text.FILE_EMPTY))])
    return rows


def _csv_rows(text: str) -> list[Row]:
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [c.strip().lower() for c in next(reader, [])]
    _check_columns(columns, 1)
    rows, line = [], reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            rows.append(Row(line, dict(zip(columns, cells, strict=False))))
        line = reader.line_num + 1
    return rows


def _yaml_rows(text: str) -> list[Row]:
    try:
        document = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise FileRejected([RowError(line, Rejected(Text.YAML_BROKEN, error=str(exc).splitlines()[0]))]) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise FileRejected([RowError(1, Rejected(Text.YAML_NOT_A_LIST))])
    rows, errors = [], []
    for node, item in zip(document.value, data, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            errors.append(RowError(line, Rejected(Text.YAML_ROW_NOT_A_MAPPING)))
            continue
        values = {str(k).strip().lower(): v for k, v in item.items()}
        errors.extend(_column_errors(list(values), line, required=False))
        rows.append(Row(line, values))
    if errors:
        raise FileRejected(errors)
    return rows


def _check_columns(columns: list[str], line: int) -> None:
    errors = _column_errors(columns, line, required=True)
    if errors:
        raise FileRejected(errors)


def _column_errors(columns: list[str], line: int, required: bool) -> list[RowError]:
    unknown = [c for c in columns if c not in COLUMNS]
    errors = [RowError(line, Rejected(Text.COLUMN_UNKNOWN, column=c, columns=", ".join(COLUMNS))) for c in unknown]
    if required:
        errors += [RowError(line, Rejected(Text.COLUMN_MISSING, column=c)) for c in REQUIRED if c not in columns]
    return errors


def write_csv(path: Path, products: Iterable[Product]) -> int:
    """The import format, so an exported file imports back unchanged. Returns the number of products written."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        count = 0
        for p in products:
            writer.writerow([
                p.sku, p.name, p.description or "", p.category or "", p.subcategory or "", money_text(p.price),
                ", ".join(f"{size}:{money_text(price)}" for size, price in p.price_by_size.items()),
                ", ".join(p.sizes), ", ".join(p.colors), p.photo_url or "",
                ", ".join(f"{color}:{url}" for color, url in p.color_photos.items()),
                "так" if p.is_active else "ні", p.crm_product_id or "",
            ])
            count += 1
    return count


def money_text(amount: Decimal) -> str:
    """1990.00 → "1990", 1990.50 → "1990.50": what a person would type in a spreadsheet."""
    return f"{amount:f}" if amount != amount.to_integral_value() else str(int(amount))
