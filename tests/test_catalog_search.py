"""Search in customers' words: Ukrainian word forms, Russian/surzhyk, typos in model names, filters, white↔milk."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from catalog.files import read_rows
from catalog.importer import validate_rows
from catalog.morphology import Morphology
from catalog.search import SearchQuery, search
from catalog.vocabulary import Vocabulary, load_vocabulary
from models.products import Product


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary(Morphology())


@pytest.fixture(scope="module")
def demo() -> list[Product]:
    products = validate_rows(read_rows(Path(str(resources.files("catalog") / "demo.yaml"))))
    return [dataclasses.replace(p, id=i) for i, p in enumerate(products, 1)]


def names(vocabulary: Vocabulary, demo: list[Product], query: SearchQuery,
          similarity: dict[int, float] | None = None) -> list[str]:
    return [m.product.name for m in search(vocabulary, demo, query, similarity)]


SUITS = {"Костюм Лагуна", "Костюм Мрія", "Костюм Ритм", "Костюм Каприз", "Костюм Валері", "Костюм Мерея"}


@pytest.mark.parametrize("text", ["сукня", "сукні", "сукню", "платтячко", "плаття", "сукеночку", "платье",
                                  "є якісь сукні для дівчинки?"])
def test_every_word_form_for_a_dress_finds_dresses(vocabulary: Vocabulary, demo: list[Product], text: str) -> None:
    assert names(vocabulary, demo, SearchQuery(text)) == ["Сукня Анна"]


@pytest.mark.parametrize("text", ["костюмчик", "костюми", "костюмчики", "костюмів"])
def test_every_word_form_for_a_suit_finds_suits(vocabulary: Vocabulary, demo: list[Product], text: str) -> None:
    assert set(names(vocabulary, demo, SearchQuery(text))) == SUITS


@pytest.mark.parametrize("text", ["лагунa", "лагуну", "Лагуни", "лагна", "костюм лагуна", "ЛАГУНА"])
def test_model_names_survive_typos_and_cases(vocabulary: Vocabulary, demo: list[Product], text: str) -> None:
    assert names(vocabulary, demo, SearchQuery(text))[0] == "Костюм Лагуна"


def test_other_model_names_in_any_form(vocabulary: Vocabulary, demo: list[Product]) -> None:
    assert names(vocabulary, demo, SearchQuery("мрію"))[0] == "Костюм Мрія"
    assert names(vocabulary, demo, SearchQuery("сукню анну")) == ["Сукня Анна"]
    assert names(vocabulary, demo, SearchQuery("каприс"))[0] == "Костюм Каприз"


@pytest.mark.parametrize("text", ["білий", "біла", "білий костюм", "беленький костюмчик", "молочний"])
def test_white_finds_milk(vocabulary: Vocabulary, demo: list[Product], text: str) -> None:
    matches = search(vocabulary, demo, SearchQuery(text))
    assert [(m.product.name, m.colors) for m in matches] == [("Костюм Мерея", ("молочний",))]


def test_a_colour_filter_shows_the_colours_that_match(vocabulary: Vocabulary, demo: list[Product]) -> None:
    matches = search(vocabulary, demo, SearchQuery("сукня", color="малиновий"))
    assert [(m.product.name, m.colors) for m in matches] == [("Сукня Анна", ("малина",))]
    assert search(vocabulary, demo, SearchQuery("сукня", color="білий")) == []
    trenches = search(vocabulary, demo, SearchQuery(category="тренчі", color="бежевий"))
    assert [(m.product.name, m.colors) for m in trenches] == [("Тренч Бриз", ("бежевий",))]


def test_height_filter_keeps_products_with_a_size_and_says_which(vocabulary: Vocabulary,
                                                                  demo: list[Product]) -> None:
    matches = search(vocabulary, demo, SearchQuery("костюм", height_cm=92))
    assert {(m.product.name, m.size, m.price) for m in matches} == {
        ("Костюм Лагуна", "80-92", Decimal("1590")), ("Костюм Мрія", "80-92", Decimal("1590")),
    }
    valeri = search(vocabulary, demo, SearchQuery("валері", height_cm=119))
    assert [(m.product.name, m.size) for m in valeri] == [("Костюм Валері", "122")]
    assert search(vocabulary, demo, SearchQuery("сукня", height_cm=100)) == []


def test_max_price_uses_the_price_of_the_size_that_fits(vocabulary: Vocabulary, demo: list[Product]) -> None:
    cheap = search(vocabulary, demo, SearchQuery("плюшевий костюм", height_cm=119, max_price=Decimal("2000")))
    assert cheap == []  # Лагуна and Мрія cost 2190 in 122-128
    small = search(vocabulary, demo, SearchQuery("плюшевий костюм", height_cm=116, max_price=Decimal("2000")))
    assert {(m.product.name, m.price) for m in small} == {("Костюм Лагуна", Decimal("1990")),
                                                          ("Костюм Мрія", Decimal("1990"))}
    under = names(vocabulary, demo, SearchQuery(category="костюми", max_price=Decimal("1900")))
    assert under == ["Костюм Лагуна", "Костюм Мрія", "Костюм Каприз"]  # cheapest first


def test_descriptions_and_subcategories_count(vocabulary: Vocabulary, demo: list[Product]) -> None:
    assert names(vocabulary, demo, SearchQuery("тренч з еко-шкіри"))[0] == "Тренч Стиль"
    assert set(names(vocabulary, demo, SearchQuery("плюшевий костюмчик"))) == {"Костюм Лагуна", "Костюм Мрія"}


def test_what_the_shop_does_not_sell_finds_nothing(vocabulary: Vocabulary, demo: list[Product]) -> None:
    assert search(vocabulary, demo, SearchQuery("сорочка")) == []
    assert search(vocabulary, demo, SearchQuery("фіолетова сукня")) == []


def test_similarity_reranks_and_stands_in_when_no_word_matches(vocabulary: Vocabulary,
                                                                demo: list[Product]) -> None:
    by_name = {p.name: p.id for p in demo}
    similarity = {by_name["Костюм Ритм"]: 0.9, by_name["Костюм Лагуна"]: 0.1}
    ranked = names(vocabulary, demo, SearchQuery("костюм для школи"), similarity)
    assert ranked[0] == "Костюм Ритм"
    assert names(vocabulary, demo, SearchQuery("щось для спорту"), similarity) == ["Костюм Ритм"]
    assert names(vocabulary, demo, SearchQuery("щось для спорту")) == []
