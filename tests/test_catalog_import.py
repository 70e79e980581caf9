"""Importing catalog files into Postgres: all rows or none, re-imports change nothing, export round-trips."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from importlib import resources
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from catalog.files import FileRejected, read_rows, write_csv
from catalog.importer import ImportReport, import_file, validate_rows
from catalog.texts import Text, load_texts
from storage.products import load_products

DEMO = Path(str(resources.files("catalog") / "demo.yaml"))

GOOD_CSV = """sku,name,description,category,price,price_by_size,sizes,colors
MIRT-LAGUNA,Костюм Лагуна,"Теплий плюшевий костюм.
Худі та штани.",Костюми,1590,"110-116:1990, 122-128:2190","80-92, 110-116, 122-128","рожевий, сірий"
MIRT-ANNA,Сукня Анна,,Сукні,1850,,"110-116, 122-128",голубий
"""

BAD_CSV = """sku,name,price,sizes
A-1,Сукня,1850,122-128
,Костюм,1590,110-116
B-2,Тренч,дорого,110-116
C-3,Сукня,100,"122, XL"
A-1,Сукня друга,100,122
"""


@pytest_asyncio.fixture(autouse=True)
async def empty_catalog(db: asyncpg.Pool) -> AsyncIterator[None]:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    yield


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_good_file_is_imported_and_a_reimport_changes_nothing(db: asyncpg.Pool, tmp_path: Path) -> None:
    path = write(tmp_path, "products.csv", GOOD_CSV)
    assert await import_file(db, path) == ImportReport(created=2, updated=0, unchanged=0, deactivated=0)
    products = {p.sku: p for p in await load_products(db)}
    laguna = products["MIRT-LAGUNA"]
    assert laguna.price_for("110-116") == Decimal("1990.00") and laguna.price_for("80-92") == Decimal("1590.00")
    assert laguna.description == "Теплий плюшевий костюм.\nХуді та штани."
    assert laguna.colors == ("рожевий", "сірий")
    stamps = await db.fetch("SELECT sku, updated_at FROM products ORDER BY sku")

    assert await import_file(db, path) == ImportReport(created=0, updated=0, unchanged=2, deactivated=0)
    assert await db.fetch("SELECT sku, updated_at FROM products ORDER BY sku") == stamps


async def test_a_changed_row_is_updated_by_sku(db: asyncpg.Pool, tmp_path: Path) -> None:
    await import_file(db, write(tmp_path, "a.csv", GOOD_CSV))
    changed = GOOD_CSV.replace("110-116:1990, 122-128:2190", "110-116:1999")
    assert await import_file(db, write(tmp_path, "b.csv", changed)) == ImportReport(0, 1, 1, 0)
    laguna = (await load_products(db))[1]
    assert laguna.price_by_size == {"110-116": Decimal("1999.00")}
    assert laguna.price_for("122-128") == Decimal("1590.00")


async def test_a_file_with_bad_rows_reports_each_and_writes_nothing(db: asyncpg.Pool, tmp_path: Path) -> None:
    await import_file(db, write(tmp_path, "good.csv", GOOD_CSV))
    before = await db.fetch("SELECT * FROM products ORDER BY id")
    with pytest.raises(FileRejected) as caught:
        await import_file(db, write(tmp_path, "bad.csv", BAD_CSV), deactivate=True)
    reasons = [(e.line, e.reason.text) for e in caught.value.errors]
    assert reasons == [(3, Text.VALUE_MISSING), (4, Text.PRICE_NOT_A_NUMBER), (5, Text.SIZE_LABEL_UNKNOWN),
                       (6, Text.SKU_DUPLICATE)]
    texts = load_texts()
    assert texts.say(caught.value.errors[0].reason) == "не заповнено «sku»"
    assert texts.say(caught.value.errors[3].reason) == "артикул A-1 уже є в рядку 2"
    assert await db.fetch("SELECT * FROM products ORDER BY id") == before


async def test_line_numbers_count_multiline_cells(tmp_path: Path) -> None:
    text = GOOD_CSV + "X-1,Сукня,,Сукні,ціна,,122,\n"
    with pytest.raises(FileRejected) as caught:
        read_and_validate(write(tmp_path, "p.csv", text))
    assert [e.line for e in caught.value.errors] == [5]


def read_and_validate(path: Path) -> list:  # type: ignore[type-arg]
    return validate_rows(read_rows(path))


async def test_whole_file_problems_are_reported_too(tmp_path: Path) -> None:
    koi8 = tmp_path / "old.csv"  # neither UTF-8 nor Windows-1251: refused at its first line that is not UTF-8
    koi8.write_bytes("sku,name,price,sizes\nA,Сукня Анна,100,122\n".encode("koi8-r"))
    unknown = write(tmp_path, "typo.csv", "sku,name,prise,sizes\nA,Сукня,100,122\n")
    cases = {koi8: [(2, Text.FILE_NOT_TEXT)], tmp_path / "missing.csv": [(0, Text.FILE_NOT_FOUND)],
             tmp_path: [(0, Text.FILE_BAD_FORMAT)], write(tmp_path, "p.ods", ""): [(0, Text.FILE_BAD_FORMAT)],
             unknown: [(1, Text.COLUMN_UNKNOWN), (1, Text.COLUMN_MISSING)],
             write(tmp_path, "p.xlsx", "not a workbook"): [(0, Text.XLSX_BROKEN)],
             write(tmp_path, "empty.yaml", ""): [(0, Text.FILE_EMPTY)]}
    for path, expected in cases.items():
        with pytest.raises(FileRejected) as caught:
            read_rows(path)
        assert [(e.line, e.reason.text) for e in caught.value.errors] == expected, path


async def test_yaml_rows_are_numbered_by_their_line(tmp_path: Path) -> None:
    text = ("- sku: A\n  name: Сукня\n  price: 100\n  sizes: [122]\n"
            "- sku: B\n  name: Сукня\n  price: x\n  sizes: [122]\n")
    with pytest.raises(FileRejected) as caught:
        read_and_validate(write(tmp_path, "p.yaml", text))
    assert [(e.line, e.reason.text) for e in caught.value.errors] == [(5, Text.PRICE_NOT_A_NUMBER)]


async def test_yaml_and_csv_give_the_same_catalog(db: asyncpg.Pool, tmp_path: Path) -> None:
    assert (await import_file(db, DEMO)).created == 9
    csv_path = tmp_path / "demo.csv"
    write_csv(csv_path, read_and_validate(DEMO))
    assert read_and_validate(csv_path) == read_and_validate(DEMO)
    assert await import_file(db, csv_path) == ImportReport(created=0, updated=0, unchanged=9, deactivated=0)


async def test_export_round_trips(db: asyncpg.Pool, tmp_path: Path) -> None:
    await import_file(db, DEMO)
    await import_file(db, write(tmp_path, "extra.csv", GOOD_CSV.replace("MIRT-ANNA", "MIRT-OLD")
                                .replace(",Сукні,1850,", ",Сукні,1850.50,")))
    exported = tmp_path / "export.csv"
    stored = await load_products(db, active_only=False)
    assert write_csv(exported, stored) == 10
    assert read_and_validate(exported) == stored
    assert "1850.50" in exported.read_text(encoding="utf-8")
    assert await import_file(db, exported) == ImportReport(created=0, updated=0, unchanged=10, deactivated=0)


async def test_deactivate_missing_retires_products_not_in_the_file(db: asyncpg.Pool, tmp_path: Path) -> None:
    await import_file(db, DEMO)
    path = write(tmp_path, "two.csv", GOOD_CSV)
    assert await import_file(db, path, deactivate=True) == ImportReport(created=0, updated=2, unchanged=0,
                                                                       deactivated=7)
    assert sorted(p.sku for p in await load_products(db)) == ["MIRT-ANNA", "MIRT-LAGUNA"]
    assert len(await load_products(db, active_only=False)) == 9
    assert (await import_file(db, DEMO)).updated == 9  # back on sale, Лагуна and Анна with the demo's data
    assert len(await load_products(db)) == 9
