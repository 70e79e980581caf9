"""`python -m bot catalog …` as the shop owner runs it: a real process against a real database."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg

from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.openai_limits import API_KEY
from tests.test_catalog_import import BAD_CSV, GOOD_CSV


async def bot(database_url: str, cwd: Path, *args: str, **settings: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DATABASE_", "LOG_"))}
    env.update(DATABASE_URL=database_url, LOG_LEVEL="WARNING", **settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "catalog", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    code = process.returncode
    assert code is not None and code >= 0, f"killed by signal {-code if code else ''}: {err.decode()}"
    return code, out.decode(), err.decode()


async def test_a_bad_file_exits_1_listing_every_bad_row_and_writes_nothing(
        database_url: str, db: asyncpg.Pool, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text(BAD_CSV, encoding="utf-8")
    code, out, err = await bot(database_url, tmp_path, "import", "bad.csv")
    assert code == 1
    assert "Каталог не імпортовано, нічого не змінено." in err
    for line in ("Рядок 3: не заповнено «sku»", "Рядок 4: ціна «дорого» — не сума в гривнях",
                 "Рядок 5: невідомий розмір «XL»", "Рядок 6: артикул A-1 уже є в рядку 2"):
        assert line in err
    assert "Traceback" not in err and out == ""
    assert await db.fetchval("SELECT count(*) FROM products") == 0

    code, _, err = await bot(database_url, tmp_path, "import", "missing.csv")
    assert code == 1
    assert "файлу missing.csv немає" in err and "Рядок" not in err


async def test_import_export_and_demo(database_url: str, db: asyncpg.Pool, tmp_path: Path) -> None:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    (tmp_path / "good.csv").write_text(GOOD_CSV, encoding="utf-8")
    code, out, err = await bot(database_url, tmp_path, "import", "good.csv")
    assert code == 0, err
    assert "Каталог імпортовано: нових 2, змінених 0, без змін 0, знято з продажу 0." in out
    assert "Пошук за змістом вимкнений" in err  # no OPENAI_API_KEY: the import still works

    code, out, err = await bot(database_url, tmp_path, "demo")
    assert code == 0, err
    assert "нових 7, змінених 2, без змін 0" in out

    code, out, err = await bot(database_url, tmp_path, "export", "catalog.csv")
    assert code == 0, err
    exported = (tmp_path / "catalog.csv").read_text(encoding="utf-8")
    assert exported.startswith("sku,name,description,category,subcategory,price,price_by_size,sizes,colors")
    assert exported.count("\nMIRT-") == 9

    code, out, err = await bot(database_url, tmp_path, "import", "catalog.csv", "--deactivate-missing")
    assert code == 0, err
    assert "нових 0, змінених 0, без змін 9, знято з продажу 0." in out


async def test_import_embeds_changed_products_when_a_provider_is_configured(
        database_url: str, db: asyncpg.Pool, tmp_path: Path) -> None:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    fake = FakeOpenAI()
    await fake.start()
    try:
        (tmp_path / "good.csv").write_text(GOOD_CSV, encoding="utf-8")
        code, out, err = await bot(database_url, tmp_path, "import", "good.csv",
                                   OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=fake.url)
    finally:
        await fake.stop()
    assert code == 0, err
    assert "Оновлено векторів для пошуку: 2." in out
    assert [len(r["input"]) for r in fake.embedding_requests] == [2]
    assert await db.fetchval("SELECT count(*) FROM products WHERE embedding IS NOT NULL") == 2


async def test_excel_and_windows_1251_files_through_the_command(
        database_url: str, db: asyncpg.Pool, tmp_path: Path) -> None:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    excel_csv = ('sku;name;price;price_by_size;sizes;stock\n'
                 'MIRT-LAGUNA;Костюм Лагуна;1 590,00 грн;"110-116:1 990,00, 122-128:2190";"110-116, 122-128";1\n'
                 'MIRT-ANNA;Сукня Анна;1850;;122-128;\n')
    (tmp_path / "excel.csv").write_bytes(excel_csv.encode("cp1251"))
    code, out, err = await bot(database_url, tmp_path, "import", "excel.csv")
    assert code == 0, err
    assert "Прочитано файл CSV: кодування Windows-1251, розділювач «;»." in out and "нових 2" in out

    code, out, err = await bot(database_url, tmp_path, "export", "catalog.xlsx")
    assert code == 0, err
    assert "Експортовано товарів: 2 → catalog.xlsx" in out
    code, out, err = await bot(database_url, tmp_path, "import", "catalog.xlsx", "--sheet", "Каталог")
    assert code == 0, err
    assert "Прочитано аркуш «Каталог» файлу Excel." in out and "без змін 2" in out

    code, out, err = await bot(database_url, tmp_path, "import", "catalog.xlsx", "--sheet", "Ціни")
    assert code == 1 and "у файлі немає аркуша «Ціни» (є: Каталог)" in err and "Traceback" not in err


async def test_a_zero_price_is_refused_with_its_row(database_url: str, db: asyncpg.Pool, tmp_path: Path) -> None:
    """A 0 written as "price to follow" would put the dress on sale at 0 грн, which no customer could pay."""
    (tmp_path / "f.csv").write_bytes("sku;name;price;sizes\nZ-1;Сукня Нуль;0;122-128\n".encode("cp1251"))
    code, _, err = await bot(database_url, tmp_path, "import", "f.csv")
    assert code == 1 and "Рядок 2" in err and "нуль" in err
    assert await db.fetchval("SELECT count(*) FROM products WHERE sku = 'Z-1'") == 0
