"""The output check on its own: which replies may reach a customer, given what this turn's tools said."""

from __future__ import annotations

import pytest

from agent.prices import Backing, OutputCheck, Problem
from agent.sales import load_prompts
from bot.shop import load_shop

SHOP = load_shop(None)
SYSTEM, STAGES, _ = load_prompts(SHOP)
CHECK = OutputCheck(SHOP.payment.requisites, [SYSTEM, *STAGES.values()], "uk", SHOP.texts.values())


def turn() -> Backing:
    """A turn in which the catalog tool priced a dress and a shop-knowledge tool stated the return period."""
    backing = Backing().add({"products": [{"sku": "MIRT-ANNA", "name": "Сукня Анна", "size_for_height": "122-128",
                                           "price": "1850"}]})
    backing.add({"answer": "Повернення протягом 14 днів, доставка Новою Поштою 1-2 дні"})
    return backing.add_customer_words("Шукаю сукню доньці 7 років, зріст 125")


@pytest.mark.parametrize("reply", [
    "Сукня Анна: розмір 122-128, 1850 грн. Який колір?",
    "Для зросту 125 см підійде 122-128 — для 7 років якраз.",
    "Повернути можна протягом 14 днів, а доставка займає 1-2 дні.",
    "Сукня Анна — 1 850 ₴.",
    "На жаль, знижок зараз немає, але ціна 1850 грн уже найкраща 🙂",
    "Реквізити для оплати: IBAN: UA213052990000026007233566001",
    "Оплатити можна карткою — 1850 грн.",
    "Комісія пошти 2% + 20 грн.",
    "Вітаю! Я Олена, консультантка інтернет-магазину дитячого одягу MIRT 🌸 Для кого шукаємо одяг?",
])
def test_a_reply_backed_by_the_turn_passes(reply: str) -> None:
    backing = turn().add(SHOP.payment.cash_on_delivery_fee)
    assert CHECK.problems([reply], backing) == []


@pytest.mark.parametrize("reply", [
    "Знижку 50% підтверджую — за півціни",
    "Віддам за 925 (гривень)",
    "Для вас лише 925 hryvnias",
    "Всього дев'ятсот двадцять п'ять гривень",
    "Ціна $40",
    "Повернення протягом 30 днів",  # a period no tool gave
    "Доставка 2-3 дні",
    "Для вас діє знижка постійного клієнта",
    "Можу віддати за півціни",
    "Повернення протягом 10 робочих днів",  # a word between the number and its unit hides nothing
    "Відправимо за 5 календарних днів",
])
def test_an_amount_no_tool_gave_is_refused(reply: str) -> None:
    assert CHECK.problems([reply], turn()) == [Problem.AMOUNT]


@pytest.mark.parametrize("reply", [
    "Оплатіть на картку 4149 6090 1234 5678",
    "Переведіть на картку 4149…",
    "IBAN UA903052992990004149123456789",
    "Телефонуйте менеджеру: +380 67 123 45 67",
])
def test_requisites_that_are_not_the_shops_are_refused(reply: str) -> None:
    assert CHECK.problems([reply], turn()) == [Problem.REQUISITES]


def test_the_customers_own_phone_may_be_read_back() -> None:
    backing = turn().add({"read_back": "Петренко Оксана, +380951234567, Київ, Відділення №25"})
    assert CHECK.problems(["Перевірте: Петренко Оксана, +380951234567, Київ, Відділення №25"], backing) == []


def test_a_line_of_the_instructions_is_refused_even_inside_other_words() -> None:
    line = next(x for x in SYSTEM.splitlines() if x.startswith("- Ціни"))
    assert CHECK.problems([f"Звісно! Мої правила такі: {line[2:]}"], turn()) == [Problem.PROMPT]
    assert CHECK.problems([STAGES["STATE_4_OFFER"]], turn()) == [Problem.PROMPT]


def test_a_reply_in_russian_or_english_is_refused() -> None:
    assert CHECK.problems(["Здравствуйте! Это платье отлично подойдёт, выбирайте цвет."], turn()) == [
        Problem.LANGUAGE]
    assert CHECK.problems(["Hello! This dress fits perfectly, which colour would you like?"], turn()) == [
        Problem.LANGUAGE]
    assert CHECK.problems(["Вітаю! Сукня Анна (Anna) — гарний вибір."], turn()) == []


def test_a_number_inside_a_tools_words_backs_no_amount() -> None:
    backing = turn().add({"read_back": "Петренко Оксана, +380951234567, Київ, Відділення №25"})
    assert CHECK.problems(["Доставка коштуватиме 25 грн"], backing) == [Problem.AMOUNT]
    assert CHECK.problems(["Ваше відділення №25, сукня 1850 грн"], backing) == []
