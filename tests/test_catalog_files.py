"""The catalog from where the shop keeps it: an Excel workbook, a Windows-1251 `;` CSV from Excel, a UTF-8 CSV
with or without BOM all give the same catalog; Excel errors point at the sheet's row; stock per size round-trips;
the demo catalog ships as .xlsx matching demo.yaml."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from openpyxl import Workbook

from catalog.files import FileRejected, read_file, read_rows, write_file
from catalog.importer import ImportReport, import_file, validate_rows
from catalog.texts import Text, load_texts
from storage.products import load_products

HEADER = ["sku", "name", "description", "category", "price", "price_by_size", "sizes", "colors", "stock"]
ROWS = [
    ["MIRT-LAGUNA", "Костюм Лагуна", "Теплий плюшевий костюм.\nХуді та штани.", "Костюми", "1590",
     "110-116:1990, 122-128:2190", "80-92, 110-116, 122-128", "рожевий, сірий", "110-116:3, 122-128:0"],
    ["MIRT-ANNA", "Сукня Анна", "", "Сукні", "1850.50", "", "110-116, 122-128", "голубий", "2"],
    ["MIRT-RYTM", "Костюм Ритм", "Легкий і теплий", "Костюми", "1975", "", "122-128", "", ""],
]
# The same cells as a person types them in Excel: prices as numbers, with the hryvnia sign or spaces.
TYPED = {("MIRT-LAGUNA", "price"): 1590, ("MIRT-ANNA", "price"): 1850.5, ("MIRT-RYTM", "price"): "1 975,00 ₴",
         ("MIRT-LAGUNA", "price_by_size"): "110-116:₴1990, 122-128:2 190 грн", ("MIRT-ANNA", "stock"): 2}


@pytest_asyncio.fixture(autouse=True)
async def empty_catalog(db: asyncpg.Pool) -> AsyncIterator[None]:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    yield


def csv_bytes(delimiter: str, encoding: str, rows: list[list[str]] = ROWS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def workbook(path: Path, rows: list[list[object]], *, title_rows: int = 0, sheets: tuple[str, ...] = ("Аркуш1",)
             ) -> Path:
    """An .xlsx as a shop makes it: optional title lines above the header, other sheets around."""
    book = Workbook()
    book.active.title = sheets[0]
    for name in sheets[1:]:
        book.create_sheet(name)
    sheet = book[sheets[-1]]
    for _ in range(title_rows):
        sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def typed(row: list[str]) -> list[object]:
    return [TYPED.get((row[0], column), cell) for column, cell in zip(HEADER, row, strict=True)]


async def test_excel_and_windows_1251_files_give_the_same_catalog_as_utf8_csv(db: asyncpg.Pool, tmp_path: Path
                                                                               ) -> None:
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(csv_bytes(",", "utf-8"))
    excel_csv = tmp_path / "excel.csv"  # Excel's "CSV (розділювач — крапка з комою)" on a Ukrainian Windows
    excel_csv.write_bytes(csv_bytes(";", "cp1251"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(csv_bytes(";", "utf-8-sig"))
    xlsx = workbook(tmp_path / "price.xlsx", [typed(row) for row in ROWS])

    expected = validate_rows(read_rows(utf8))
    assert expected[0].stock == {"110-116": 3, "122-128": 0} and expected[1].stock == {"110-116": 2, "122-128": 2}
    assert expected[2].stock == {}  # blank: the shop does not count this one
    for path in (excel_csv, bom, xlsx):
        assert validate_rows(read_rows(path)) == expected, path

    texts = load_texts()
    report = await import_file(db, excel_csv)
    assert report == ImportReport(created=3, updated=0, unchanged=0, deactivated=0)
    assert report.read_as is not None
    assert texts.render(report.read_as.read_as, **report.read_as.details) == (
        "Прочитано файл CSV: кодування Windows-1251, розділювач «;».")
    assert (await load_products(db))[0].name == "Сукня Анна"  # not "????" or mojibake
    for path in (utf8, bom, xlsx):
        assert await import_file(db, path) == ImportReport(created=0, updated=0, unchanged=3, deactivated=0)
    read = read_file(bom)
    assert read.details == {"encoding": "UTF-8 з BOM", "delimiter": ";"}
    assert read_file(xlsx).details == {"sheet": "Аркуш1"}


async def test_a_bad_excel_row_is_reported_with_the_sheets_row_number(db: asyncpg.Pool, tmp_path: Path) -> None:
    rows = [typed(ROWS[0]), [], typed(ROWS[1]), ["B-2", "Тренч", "", "", "19,90,00", "", "122", "", "110-116:1"]]
    path = workbook(tmp_path / "bad.xlsx", rows, title_rows=2, sheets=("Інструкція", "Прайс"))
    with pytest.raises(FileRejected) as caught:
        await import_file(db, path, sheet="Прайс")
    # title rows 1-2, header 3, rows 4, (blank 5), 6, 7
    assert [(e.line, e.reason.text) for e in caught.value.errors] == [(7, Text.PRICE_NOT_A_NUMBER),
                                                                       (7, Text.STOCK_FOR_UNKNOWN_SIZE)]
    assert await db.fetchval("SELECT count(*) FROM products") == 0
    with pytest.raises(FileRejected) as caught:
        read_rows(path)  # the first sheet is the instructions: no header there
    assert [e.reason.text for e in caught.value.errors] == [Text.FILE_EMPTY]
    with pytest.raises(FileRejected) as caught:
        read_rows(path, sheet="Ціни")
    assert load_texts().say(caught.value.errors[0].reason) == "у файлі немає аркуша «Ціни» (є: Інструкція, Прайс)"


def test_a_workbook_that_misstates_its_used_range_is_read_whole(tmp_path: Path) -> None:
    """Some programs write <dimension ref="A1"/> whatever the sheet holds; the rows are there all the same."""
    good = workbook(tmp_path / "good.xlsx", [typed(row) for row in ROWS])
    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(odd, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                assert count == 1
            target.writestr(item, data)
    assert validate_rows(read_rows(odd)) == validate_rows(read_rows(good))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_export_round_trips_stock_and_prices(db: asyncpg.Pool, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "source.csv"
    source.write_bytes(csv_bytes(",", "utf-8"))
    await import_file(db, source)
    stored = await load_products(db, active_only=False)
    exported = tmp_path / f"export{suffix}"
    assert write_file(exported, stored) == 3
    assert validate_rows(read_rows(exported)) == stored
    assert await import_file(db, exported) == ImportReport(created=0, updated=0, unchanged=3, deactivated=0)


@pytest.mark.parametrize(("cell", "reason"), [
    ("110-116:-1", Text.STOCK_MALFORMED), ("110-116:x", Text.STOCK_MALFORMED), ("2.5", Text.STOCK_MALFORMED),
    ("110-116", Text.STOCK_MALFORMED), ("134-140:2", Text.STOCK_FOR_UNKNOWN_SIZE)])
async def test_stock_cells_that_are_not_counts_are_refused(tmp_path: Path, cell: str, reason: Text) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes(",", "utf-8", [ROWS[1][:-1] + [cell]]))
    with pytest.raises(FileRejected) as caught:
        validate_rows(read_rows(path))
    assert [(e.line, e.reason.text) for e in caught.value.errors] == [(2, reason)]


async def test_stock_in_yaml_is_a_mapping_or_one_number(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("- {sku: A, name: Сукня, price: 100, sizes: [110-116, 122-128], stock: {122-128: 0}}\n"
                    "- {sku: B, name: Сукня, price: 100, sizes: [110-116, 122-128], stock: 4}\n", encoding="utf-8")
    first, second = validate_rows(read_rows(path))
    assert first.stock == {"122-128": 0} and first.sizes_in_stock == ("110-116",)
    assert second.stock == {"110-116": 4, "122-128": 4}


def test_the_demo_catalog_ships_as_excel_too() -> None:
    folder = resources.files("catalog")
    assert validate_rows(read_rows(Path(str(folder / "demo.xlsx")))) == validate_rows(
        read_rows(Path(str(folder / "demo.yaml"))))
