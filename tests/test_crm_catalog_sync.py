"""`python -m bot catalog sync-crm` as the shop owner runs it, against the contract-faithful fake Sitniks: products,
sizes, prices per size and variation ids land in our catalog; a second run changes nothing; a CRM error (even on the
second page) leaves the catalog as it was. And the crm_variation_ids column round-trips through the catalog file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from catalog.files import FileRejected, read_rows, write_csv
from catalog.importer import validate_rows
from catalog.texts import Text
from storage.products import load_products, products_by_sku
from tests.fakes.sitniks import FakeSitniks, SitniksRequest
from tests.test_catalog_cli import bot

OURS = """sku,name,price,sizes,colors,description
MIRT-ANNA,Сукня Анна (наша назва),1850,"122-128, 134-140","рожевий, сірий",Святкова сукня
"""


@pytest_asyncio.fixture
async def sitniks() -> AsyncIterator[FakeSitniks]:
    fake = FakeSitniks()
    fake.add_product(301, "Сукня Анна", "MIRT-ANNA", [(8812, "122-128", 1850, 4), (8813, "134-140", 1950, 0),
                                                     (8814, "146-152", 1950, 2)])
    fake.add_product(302, "Костюм Затишок", "ZATYSHOK", [(8901, "98-104", 1590, 1), (8902, "110-116", 1690, 1)])
    fake.products.append({"id": 303, "title": "Костюм Мрія", "sku": "MRIIA", "variations": [  # kept per colour
        {"id": 8950 + n, "sku": f"MRIIA-{n}", "price": price, "properties": [
            {"name": "Розмір", "value": size}, {"name": "Колір", "value": colour}]}
        for n, (size, colour, price) in enumerate([("122-128", "рожевий", 2190), ("122-128", "голубий", 2190),
                                                  ("134-140", "рожевий", 2290)])]})
    for n in range(54):  # enough products for a second page
        fake.add_product(400 + n, f"Футболка {n}", f"TEE-{n}", [(9000 + n, "122-128", 450, 5)])
    await fake.start()
    yield fake
    await fake.stop()


async def sync(database_url: str, tmp_path: Path, sitniks: FakeSitniks) -> tuple[int, str, str]:
    return await bot(database_url, tmp_path, "sync-crm", SITNIKS_API_URL=sitniks.url,
                     SITNIKS_API_KEY=sitniks.api_key)


async def test_sync_crm_brings_sizes_prices_and_variations_once_and_a_crm_error_changes_nothing(
        database_url: str, db: asyncpg.Pool, tmp_path: Path, sitniks: FakeSitniks) -> None:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    (tmp_path / "ours.csv").write_text(OURS, encoding="utf-8")
    assert (await bot(database_url, tmp_path, "import", "ours.csv"))[0] == 0

    code, out, err = await sync(database_url, tmp_path, sitniks)
    assert code == 0, err
    assert "нових 56, змінених 1, без змін 0" in out
    catalog = await products_by_sku(db, ["MIRT-ANNA", "ZATYSHOK", "MRIIA", "TEE-53"])
    anna = catalog["MIRT-ANNA"]
    assert anna.sizes == ("122-128", "134-140", "146-152") and anna.price == Decimal("1850")
    assert anna.price_by_size == {"134-140": Decimal("1950"), "146-152": Decimal("1950")}
    assert anna.crm_variation_ids == {"122-128": 8812, "134-140": 8813, "146-152": 8814}
    assert anna.crm_product_id == "301" and anna.stock == {"122-128": 4, "134-140": 0, "146-152": 2}
    assert (anna.name, anna.colors, anna.description) == ("Сукня Анна (наша назва)", ("рожевий", "сірий"),
                                                          "Святкова сукня")  # the shop's own words stay
    new = catalog["ZATYSHOK"]
    assert (new.name, new.sizes, new.price, new.price_by_size) == (
        "Костюм Затишок", ("98-104", "110-116"), Decimal("1590"), {"110-116": Decimal("1690")})
    assert catalog["TEE-53"].crm_variation_ids == {"122-128": 9053}  # from the second page
    mriia = catalog["MRIIA"]
    assert mriia.colors == ("рожевий", "голубий") and mriia.price_by_size == {"134-140": Decimal("2290")}
    assert mriia.stock == {}  # the CRM gave no quantities: not counted
    assert mriia.crm_variation_ids == {"122-128/рожевий": 8950, "122-128/голубий": 8951, "134-140/рожевий": 8952}
    assert mriia.variation_id("122-128", "голубий") == 8951 and mriia.variation_id("134-140", "голубий") is None

    code, out, err = await sync(database_url, tmp_path, sitniks)
    assert code == 0, err
    assert "нових 0, змінених 0, без змін 57" in out

    before = await load_products(db, active_only=False)
    sitniks.products[0]["variations"][0]["price"] = 1700  # a change the failed run must not half-apply
    def second_page_fails(request: SitniksRequest) -> tuple[int, object]:
        if request.query.get("skip") == "50":
            return 503, {"message": "Service Unavailable"}
        return 200, {"data": sitniks.products[:50], "count": len(sitniks.products)}

    sitniks.route("GET", "/open-api/products", second_page_fails)
    code, out, err = await sync(database_url, tmp_path, sitniks)
    assert code == 1 and "каталог не змінено" in err and "503" in err and "Traceback" not in err
    assert await load_products(db, active_only=False) == before

    code, out, err = await bot(database_url, tmp_path, "sync-crm")  # no key: says so
    assert code == 1 and "SITNIKS_API_KEY" in err


def test_crm_variation_ids_round_trip_through_the_catalog_file_and_refuse_what_is_not_a_variation(
        tmp_path: Path) -> None:
    yaml_file = tmp_path / "catalog.yaml"
    yaml_file.write_text(
        "- {sku: A, name: Сукня, price: 1850, sizes: [122-128, 134-140], colors: [рожевий],\n"
        "   crm_variation_ids: {122-128: 8812, 134-140/рожевий: 8813}}\n", encoding="utf-8")
    [product] = validate_rows(read_rows(yaml_file))
    assert product.crm_variation_ids == {"122-128": 8812, "134-140/рожевий": 8813}
    assert product.variation_id("134-140", "рожевий") == 8813 and product.variation_id("134-140", None) is None
    assert product.variation_id("122-128", "рожевий") == 8812  # a size's variation serves every colour
    write_csv(tmp_path / "out.csv", [product])
    assert "122-128:8812, 134-140/рожевий:8813" in (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert validate_rows(read_rows(tmp_path / "out.csv")) == [product]

    bad = tmp_path / "bad.csv"
    bad.write_text('sku,name,price,sizes,crm_variation_ids\nA,Сукня,1850,122-128,"122-128:abc"\n'
                   'B,Сукня,1850,122-128,"146-152:8812"\nC,Сукня,1850,122-128,"122-128/синій:8812"\n'
                   'D,Сукня,1850,122-128,"8812"\n', encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:  # every bad row with its reason
        validate_rows(read_rows(bad))
    assert [(e.line, e.reason.text) for e in rejected.value.errors] == [
        (2, Text.VARIATION_ID_INVALID), (3, Text.VARIATION_FOR_UNKNOWN_SIZE), (4, Text.VARIATION_FOR_UNKNOWN_COLOUR),
        (5, Text.VARIATION_IDS_MALFORMED)]
