"""The one size rule: a size fits up to 2 cm above its (upper) height; taller goes up; never an invented size."""

from __future__ import annotations

import pytest

from catalog.sizes import Verdict, ask_height_for_age, explain_no_size, parse_size, size_for_height
from catalog.texts import Rejected, load_texts

LAGUNA = ["80-92", "98-104", "110-116", "122-128", "134-140", "146-152", "158-164"]  # range sizes from 80 cm
ANNA = ["110-116", "122-128", "134-140", "146-152", "158-164"]  # range sizes from 110 cm
VALERI = ["98", "104", "110", "116", "122", "128", "134", "140", "146", "152", "158", "164"]  # single sizes

BELOW, ABOVE = Verdict.BELOW_SMALLEST, Verdict.ABOVE_LARGEST

# height → expected size (or verdict) for each product, at exactly the heights the issue lists
CASES = {
    79: ("80-92", BELOW, BELOW),
    80: ("80-92", BELOW, BELOW),
    92: ("80-92", BELOW, BELOW),
    94: ("80-92", BELOW, BELOW),
    95: ("98-104", BELOW, "98"),
    104: ("98-104", BELOW, "104"),
    116: ("110-116", "110-116", "116"),
    118: ("110-116", "110-116", "116"),
    119: ("122-128", "122-128", "122"),
    120: ("122-128", "122-128", "122"),
    128: ("122-128", "122-128", "128"),
    130: ("122-128", "122-128", "128"),
    131: ("134-140", "134-140", "134"),
    143: ("146-152", "146-152", "146"),
    155: ("158-164", "158-164", "158"),
    164: ("158-164", "158-164", "164"),
    166: ("158-164", "158-164", "164"),
    167: (ABOVE, ABOVE, ABOVE),
}


def expect(labels: list[str], height: int, expected: str | Verdict) -> None:
    advice = size_for_height(labels, height)
    if isinstance(expected, Verdict):
        assert (advice.verdict, advice.size) == (expected, None), height
    else:
        assert (advice.verdict, advice.size) == (Verdict.FITS, expected), height


@pytest.mark.parametrize("height", sorted(CASES))
def test_range_sizes_from_80_cm(height: int) -> None:
    expect(LAGUNA, height, CASES[height][0])


@pytest.mark.parametrize("height", sorted(CASES))
def test_range_sizes_from_110_cm(height: int) -> None:
    expect(ANNA, height, CASES[height][1])


@pytest.mark.parametrize("height", sorted(CASES))
def test_single_sizes(height: int) -> None:
    expect(VALERI, height, CASES[height][2])


def test_the_smallest_size_starts_where_the_size_below_it_would_stop_fitting() -> None:
    expect(LAGUNA, 77, "80-92")
    expect(LAGUNA, 76, BELOW)
    expect(ANNA, 107, "110-116")
    expect(ANNA, 106, BELOW)


def test_a_size_the_product_skips_is_not_replaced_by_a_neighbour() -> None:
    advice = size_for_height(["98-104", "134-140"], 116)
    assert (advice.verdict, advice.size) == (Verdict.NOT_AVAILABLE, None)


def test_order_of_labels_in_the_catalog_does_not_matter() -> None:
    expect(list(reversed(LAGUNA)), 119, "122-128")


@pytest.mark.parametrize("text, label", [("122-128", "122-128"), ("122 – 128", "122-128"), (" 98 ", "98")])
def test_size_labels_are_normalised(text: str, label: str) -> None:
    assert parse_size(text).label == label


@pytest.mark.parametrize("text", ["XL", "122-", "128-122", "122-122", "5 років", "1220", "9"])
def test_labels_that_are_not_heights_are_refused(text: str) -> None:
    with pytest.raises(Rejected):
        parse_size(text)


def test_no_size_is_said_honestly_with_the_nearest_real_size() -> None:
    texts = load_texts()
    small = explain_no_size(texts, size_for_height(ANNA, 100), "Сукня Анна", ANNA)
    assert "100 см" in small and "Сукня Анна" in small and "110-116" in small and "менеджера" in small
    tall = explain_no_size(texts, size_for_height(ANNA, 170), "Сукня Анна", ANNA)
    assert "170 см" in tall and "158-164" in tall
    gap = explain_no_size(texts, size_for_height(["98-104", "134-140"], 116), "Костюм", ["98-104", "134-140"])
    assert "98-104, 134-140" in gap


def test_age_only_leads_to_a_question_about_height() -> None:
    texts = load_texts()
    question = ask_height_for_age(texts, 7)
    assert question is not None
    assert "7 років" in question and "118–126 см" in question
    assert "зріст" in question
    assert "1 рік" in (ask_height_for_age(texts, 1) or "")
    assert "3 роки" in (ask_height_for_age(texts, 3) or "")
    assert ask_height_for_age(texts, 30) is None
