"""Products from rows: prices by size in Decimal, every bad cell reported, and the demo catalog as the issue lists."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from catalog.files import read_rows
from catalog.importer import validate_rows
from catalog.products import InvalidProduct, parse_product
from catalog.texts import Text
from models.products import Product


@pytest.fixture(scope="module")
def demo() -> dict[str, Product]:
    products = validate_rows(read_rows(Path(str(resources.files("catalog") / "demo.yaml"))))
    return {p.name: p for p in products}


def test_price_depends_on_the_size(demo: dict[str, Product]) -> None:
    laguna = demo["Костюм Лагуна"]
    assert laguna.price_for("110-116") == Decimal("1990")
    assert laguna.price_for("146-152") == Decimal("2390")
    assert laguna.price_for("80-92") == Decimal("1590")
    assert all(isinstance(laguna.price_for(s), Decimal) for s in laguna.sizes)
    with pytest.raises(KeyError):
        laguna.price_for("170")


def test_demo_catalog_is_the_brands_range(demo: dict[str, Product]) -> None:
    anna = demo["Сукня Анна"]
    assert anna.price == Decimal("1850") and anna.sizes[0] == "110-116" and anna.sizes[-1] == "158-164"
    assert set(anna.colors) == {"голубий", "малина", "чорний", "червоний", "шоколад", "рожевий", "сірий"}
    mriia = demo["Костюм Мрія"]
    assert [mriia.price_for(s) for s in mriia.sizes] == [Decimal(p) for p in
                                                         ("1590", "1790", "1990", "2190", "2290", "2390", "2390")]
    mereia = demo["Костюм Мерея"]
    assert mereia.colors == ("молочний",)
    assert mereia.price_for("122-128") == Decimal("1985") and mereia.price_for("134-140") == Decimal("2150")
    assert demo["Костюм Валері"].sizes == tuple(str(h) for h in range(98, 165, 6))
    assert (demo["Костюм Ритм"].price, demo["Костюм Каприз"].price) == (Decimal("1975"), Decimal("1885"))
    trenches = sorted(p.price for p in demo.values() if p.category == "Тренчі")
    assert trenches == [Decimal("2180"), Decimal("2380")]


def test_a_row_as_a_spreadsheet_exports_it() -> None:
    product = parse_product({
        "sku": " M-1 ", "name": "Костюм  Лагуна", "price": "1 590,00", "sizes": "110-116, 98-104",
        "price_by_size": "110-116:1990", "colors": "рожевий, сірий",
        "color_photos": "рожевий:https://cdn.example/a,b.jpg, сірий:https://cdn.example/c.jpg",
        "is_active": "так", "description": "", "crm_product_id": "77",
    })
    assert product.sku == "M-1" and product.name == "Костюм Лагуна"
    assert product.price == Decimal("1590.00") and product.sizes == ("98-104", "110-116")
    assert product.price_by_size == {"110-116": Decimal("1990")}
    assert product.color_photos == {"рожевий": "https://cdn.example/a,b.jpg", "сірий": "https://cdn.example/c.jpg"}
    assert product.photo_for("сірий") == "https://cdn.example/c.jpg"
    assert product.description is None and product.crm_product_id == "77" and product.is_active


def test_every_problem_of_a_row_is_reported() -> None:
    with pytest.raises(InvalidProduct) as caught:
        parse_product({"sku": "", "name": "Сукня", "price": "дорого", "sizes": "122-128, XL",
                       "price_by_size": "134-140:2000", "photo_url": "фото.jpg", "is_active": "можливо"})
    reasons = [r.text for r in caught.value.reasons]
    assert reasons == [Text.VALUE_MISSING, Text.PRICE_NOT_A_NUMBER, Text.SIZE_LABEL_UNKNOWN,
                       Text.PRICE_FOR_UNKNOWN_SIZE, Text.URL_INVALID, Text.FLAG_INVALID]


@pytest.mark.parametrize(("typed", "amount"), [
    ("₴1990", "1990"), ("1 990", "1990"), ("1990 грн", "1990"), ("1 990,00 ₴", "1990"), ("1990.50", "1990.50"),
    ("1990,5", "1990.50"), ("1\u00a0990,00\u00a0₴", "1990"), ("1990 грн.", "1990"),
    (1990, "1990"), (1990.5, "1990.50")])
def test_money_is_read_as_people_type_it(typed: object, amount: str) -> None:
    product = parse_product({"sku": "A", "name": "Сукня", "price": typed, "sizes": "110-116, 122-128",
                             "price_by_size": f"122-128:{typed}, 110-116:₴2 190,00"})
    assert product.price == Decimal(amount) and product.price_by_size["122-128"] == Decimal(amount)
    assert product.price_by_size["110-116"] == Decimal("2190")


@pytest.mark.parametrize(("price", "reason"), [
    ("-5", Text.PRICE_NEGATIVE), ("-1 990 грн", Text.PRICE_NEGATIVE), ("abc", Text.PRICE_NOT_A_NUMBER),
    ("19,90,00", Text.PRICE_NOT_A_NUMBER), ("1,990", Text.PRICE_NOT_A_NUMBER), ("1 99", Text.PRICE_NOT_A_NUMBER),
    ("12.345", Text.PRICE_NOT_A_NUMBER), ("₴", Text.PRICE_NOT_A_NUMBER), ("1990 $", Text.PRICE_NOT_A_NUMBER),
    ("NaN", Text.PRICE_NOT_A_NUMBER), ("1e3", Text.PRICE_NOT_A_NUMBER), ("1e12", Text.PRICE_NOT_A_NUMBER),
    (True, Text.PRICE_NOT_A_NUMBER), ("0", Text.PRICE_ZERO), ("0,00 грн", Text.PRICE_ZERO), (0, Text.PRICE_ZERO)])
def test_what_is_not_money_is_refused_with_its_reason(price: object, reason: Text) -> None:
    with pytest.raises(InvalidProduct) as caught:
        parse_product({"sku": "A", "name": "Сукня", "price": price, "sizes": "122"})
    assert [r.text for r in caught.value.reasons] == [reason]
    with pytest.raises(InvalidProduct) as caught:
        parse_product({"sku": "A", "name": "Сукня", "price": "100", "sizes": "122", "price_by_size": f"122:{price}"})
    assert [r.text for r in caught.value.reasons] == [reason]
