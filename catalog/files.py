"""Catalog files as the shop keeps them: an Excel workbook, a spreadsheet's CSV export or YAML, read into numbered
rows; the catalog written back as CSV or Excel.

CSV: a header row with the column names, list cells comma-separated inside one quoted cell; UTF-8 (with or
without BOM) or Windows-1251, `,` or `;` between cells (what Excel saves in a Ukrainian locale). Excel: the first
sheet or a named one, the header in its first filled row. YAML: a list of products with the same keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from catalog.csv_files import decode, read_csv, write_csv
from catalog.rows import CatalogFile, FileRejected, Row, RowError, column_errors
from catalog.texts import Rejected, Text
from catalog.xlsx_files import read_xlsx, write_xlsx
from models.products import Product

__all__ = ["CatalogFile", "FileRejected", "Row", "RowError", "read_file", "read_rows", "write_csv", "write_file"]

_READABLE = (".csv", ".xlsx", ".yaml", ".yml")
_WRITABLE = (".csv", ".xlsx")


def read_file(path: Path, sheet: str | None = None) -> CatalogFile:
    """Every row of a .csv, .xlsx, .yaml or .yml file, numbered as the shop sees them; FileRejected with every
    problem of the whole file (unknown format or sheet, unreadable, no rows, unknown or missing columns)."""
    kind = path.suffix.lower()
    if kind not in _READABLE:
        raise FileRejected([RowError(0, Rejected(Text.FILE_BAD_FORMAT, path=path))])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileRejected([RowError(0, Rejected(Text.FILE_NOT_FOUND, path=path))]) from None
    except OSError as exc:
        raise FileRejected([RowError(0, Rejected(Text.FILE_UNREADABLE, path=path, error=exc.strerror))]) from None
    if kind == ".xlsx":
        read = read_xlsx(data, sheet)
    elif kind == ".csv":
        read = read_csv(data)
    else:
        text, _ = decode(data)
        read = CatalogFile(_yaml_rows(text), Text.IMPORT_READ_YAML)
    if not read.rows:
        raise FileRejected([RowError(0, Rejected(Text.FILE_EMPTY))])
    return read


def read_rows(path: Path, sheet: str | None = None) -> list[Row]:
    """`read_file(path, sheet).rows`: the numbered rows only."""
    return read_file(path, sheet).rows


def write_file(path: Path, products: Iterable[Product]) -> int:
    """The catalog as .csv (UTF-8) or .xlsx by the file's suffix; returns the number of products written."""
    kind = path.suffix.lower()
    if kind not in _WRITABLE:
        raise FileRejected([RowError(0, Rejected(Text.FILE_BAD_FORMAT, path=path))])
    return write_xlsx(path, products) if kind == ".xlsx" else write_csv(path, products)


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
        errors.extend(column_errors(list(values), line, required=False))
        rows.append(Row(line, values))
    if errors:
        raise FileRejected(errors)
    return rows
