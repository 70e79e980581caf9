"""Phones, names, cities and Nova Poshta points as customers type them; refusals come with a sayable reason."""

from __future__ import annotations

import pytest

from catalog.customer_details import load_cities, parse_delivery_point, parse_full_name, parse_phone, point_label
from catalog.texts import Rejected, Text, load_texts
from models.delivery import DeliveryPoint, PointKind


@pytest.mark.parametrize("text", [
    "0951234567", "+38 (095) 123-45-67", "380951234567", "95 123 45 67", "+380951234567", "8 095 123 45 67",
    "мій номер 095-123-45-67, дякую", "+38 095 123 45 6\uff17", "０９５１２３４５６７",
])
def test_every_common_form_of_a_ukrainian_mobile_becomes_plus_380(text: str) -> None:
    assert parse_phone(text) == "+380951234567"


@pytest.mark.parametrize("text, reason", [
    ("", Text.PHONE_MISSING),
    ("не скажу", Text.PHONE_MISSING),
    ("095123456", Text.PHONE_TOO_SHORT),
    ("12345", Text.PHONE_TOO_SHORT),
    ("09512345678", Text.PHONE_TOO_LONG),
    ("+48 123 456 789", Text.PHONE_NOT_UKRAINIAN),
    ("+7 900 123 45 67", Text.PHONE_NOT_UKRAINIAN),
    ("044 123 45 67", Text.PHONE_NOT_MOBILE),
])
def test_anything_else_is_refused_with_a_reason_the_bot_can_say(text: str, reason: Text) -> None:
    with pytest.raises(Rejected) as caught:
        parse_phone(text)
    assert caught.value.text is reason
    said = load_texts().say(caught.value)
    assert said and not any(c.isascii() and c.isalpha() for c in said.replace("+380", ""))


@pytest.mark.parametrize("text, name", [
    ("петренко олена", "Петренко Олена"),
    ("  КОВАЛЬ   Марія   Іванівна ", "Коваль Марія Іванівна"),
    ("Мельник-Соловйова Анна-Марія", "Мельник-Соловйова Анна-Марія"),
    ("Дем’яненко Ігор", "Дем'яненко Ігор"),
    ("Петренко Iрина", "Петренко Ірина"),  # a Latin I typed on a mixed layout
    ("Koвaль Oлeнa", "Коваль Олена"),  # Latin o, a, e, K, O among Cyrillic letters
    ("Шевченко Ïгор", "Шевченко Їгор"),
    ("Петренко Оксана 😊", "Петренко Оксана"),
    ("🌸 Коваль Марія❤️", "Коваль Марія"),
    ("Мельник 👩‍👧 Анна", "Мельник Анна"),
])
def test_full_names_are_cleaned(text: str, name: str) -> None:
    assert parse_full_name(text) == name


def test_a_refusal_for_latin_letters_names_the_word_and_the_letters(cities) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Rejected) as name:
        parse_full_name("Olena Петренко")
    assert "У «Olena» є латинські літери (O, l, e, n, a)" in load_texts().say(name.value)
    with pytest.raises(Rejected) as city:
        cities.parse("Springfield")
    assert "«Springfield»" in load_texts().say(city.value) and "латинські" in load_texts().say(city.value)


def test_a_relative_instead_of_a_surname_is_named_in_the_refusal() -> None:
    with pytest.raises(Rejected) as caught:
        parse_full_name("Мама Ірина")
    assert load_texts().say(caught.value).startswith("«Мама» — це не прізвище")


def test_a_branch_typed_with_latin_letters_is_read() -> None:
    assert parse_delivery_point("вiддiлення №7") == DeliveryPoint(PointKind.BRANCH, 7)
    assert parse_delivery_point("пoштомат 1234") == DeliveryPoint(PointKind.PARCEL_LOCKER, 1234)


@pytest.mark.parametrize("text, reason", [
    ("", Text.NAME_MISSING),
    ("Олена", Text.NAME_INCOMPLETE),
    ("Olena Petrenko", Text.NAME_NOT_CYRILLIC),
    ("Петренко О.Л. 123", Text.NAME_INVALID),
    ("Петренко Оксана 5", Text.NAME_INVALID),
    ("Мама Ірина", Text.NAME_KINSHIP),
    ("Бабуся Галя", Text.NAME_KINSHIP),
    ("галя бабуся", Text.NAME_KINSHIP),
])
def test_names_that_a_waybill_cannot_carry_are_refused(text: str, reason: Text) -> None:
    with pytest.raises(Rejected) as caught:
        parse_full_name(text)
    assert caught.value.text is reason


@pytest.fixture(scope="module")
def cities():  # type: ignore[no-untyped-def]
    return load_cities()


@pytest.mark.parametrize("text, city", [
    ("Киев", "Київ"), ("г. Харьков", "Харків"), ("Одесса", "Одеса"), ("Днепр", "Дніпро"),
    ("Днепропетровск", "Дніпро"), ("Львов", "Львів"), ("Запорожье", "Запоріжжя"), ("Николаев", "Миколаїв"),
    ("кривой рог", "Кривий Ріг"), ("м. Київ", "Київ"), ("біла церква", "Біла Церква"),
    ("Бровари, Київська область", "Бровари"), ("Бiла Церква", "Біла Церква"), ("Kиїв", "Київ"), ("Kyiv", "Київ"), ("івано-франківськ", "Івано-Франківськ"),
    ("Белгород-Днестровский", "Білгород-Дністровський"), ("хмельницький", "Хмельницький"),
])
def test_cities_are_written_as_nova_poshta_writes_them(cities, text: str, city: str) -> None:  # type: ignore[no-untyped-def]
    assert cities.parse(text) == city


@pytest.mark.parametrize("text, reason", [
    ("", Text.CITY_MISSING), ("м.", Text.CITY_MISSING), ("12345", Text.CITY_INVALID),
    ("Новгород-Северский", Text.CITY_RUSSIAN_SPELLING), ("Северодонецк", Text.CITY_RUSSIAN_SPELLING),
    ("Ахтырка", Text.CITY_RUSSIAN_SPELLING), ("Springfield", Text.CITY_LATIN),
])
def test_cities_that_cannot_be_used_are_refused(cities, text: str, reason: Text) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Rejected) as caught:
        cities.parse(text)
    assert caught.value.text is reason


@pytest.mark.parametrize("text, kind, number", [
    ("відділення 25", PointKind.BRANCH, 25),
    ("нп №5", PointKind.BRANCH, 5),
    ("Нова Пошта, відділення № 117", PointKind.BRANCH, 117),
    ("поштомат 1234", PointKind.PARCEL_LOCKER, 1234),
    ("почтомат №20431", PointKind.PARCEL_LOCKER, 20431),
    ("отделение 12", PointKind.BRANCH, 12),
    ("вул. Шевченка 10, відділення 3", PointKind.BRANCH, 3),
    ("25", PointKind.BRANCH, 25),
])
def test_nova_poshta_points_are_read_from_free_text(text: str, kind: PointKind, number: int) -> None:
    assert parse_delivery_point(text) == DeliveryPoint(kind, number)


@pytest.mark.parametrize("text", ["", "на пошту", "відділення", "відділення 0"])
def test_a_point_without_its_number_is_asked_for(text: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_delivery_point(text)
    assert caught.value.text is Text.DELIVERY_POINT_MISSING
    assert "номер відділення" in load_texts().say(caught.value)


def test_points_are_labelled_in_ukrainian_for_the_order() -> None:
    texts = load_texts()
    assert point_label(DeliveryPoint(PointKind.BRANCH, 25), texts) == "Відділення №25"
    assert point_label(DeliveryPoint(PointKind.PARCEL_LOCKER, 1234), texts) == "Поштомат №1234"
