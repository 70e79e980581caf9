"""Excel workbooks (.xlsx) read and written with openpyxl: the first sheet or a named one, the header in the first
filled row, every row numbered as Excel numbers it so an error points at the row the shop sees."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from catalog.products import COLUMNS
from catalog.rows import CatalogFile, FileRejected, Row, RowError, check_columns, product_cells
from catalog.texts import Rejected, Text
from models.products import Product

SHEET_TITLE = "Каталог"
_NUMERIC = ("price",)  # written as numbers so the shop's Excel can sum and sort them


def read_xlsx(data: bytes, sheet: str | None = None) -> CatalogFile:
    """Rows of the sheet `sheet` (the first when None); FileRejected for a broken file or an unknown sheet."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected([RowError(0, Rejected(Text.XLSX_BROKEN, error=str(exc) or type(exc).__name__))]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileRejected([RowError(0, Rejected(Text.XLSX_NO_SHEET, sheet=sheet,
                                                     sheets=", ".join(book.sheetnames)))])
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        # Some programs write a wrong used range (e.g. A1:A1) and read-only mode would trust it (openpyxl docs,
        # "Read-only mode: worksheet dimensions"); read what is there instead.
        worksheet.reset_dimensions()
        return CatalogFile(_rows(worksheet.iter_rows(values_only=True)), Text.IMPORT_READ_XLSX,
                           {"sheet": worksheet.title})
    finally:
        book.close()


def _rows(cells_by_row: Iterable[tuple[Any, ...]]) -> list[Row]:
    columns: list[str] | None = None
    rows = []
    for number, cells in enumerate(cells_by_row, start=1):
        texts = [_cell(value) for value in cells]
        if not any(text.strip() for text in texts):
            continue
        if columns is None:
            columns = [text.strip().lower() for text in texts]
            while columns and not columns[-1]:  # empty cells right of the header
                columns.pop()
            check_columns(columns, number)
            continue
        rows.append(Row(number, dict(zip(columns, texts, strict=False))))
    return rows


def _cell(value: Any) -> str:
    """A cell as the text a person sees in it: 1990.0 → "1990", 1990.5 → "1990.5", empty → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "так" if value else "ні"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    if isinstance(value, datetime | date):  # a cell Excel turned into a date: shown as typed, refused as money
        return value.isoformat()
    return str(value)


def write_xlsx(path: Path, products: Iterable[Product]) -> int:
    """One sheet "Каталог" in the import format (prices as numbers); returns the number of products written."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(list(COLUMNS))
    numeric = [COLUMNS.index(column) for column in _NUMERIC]
    count = 0
    for product in products:
        cells: list[Any] = product_cells(product)
        for index in numeric:
            cells[index] = Decimal(cells[index])
        sheet.append(cells)
        count += 1
    sheet.freeze_panes = "A2"
    book.save(path)
    return count
