"""The output check on its own: which replies may reach a customer, given what this turn's tools said."""

from __future__ import annotations

import pytest

from agent.prices import Backing, OutputCheck, Problem
from agent.sales import load_prompts
from config.shop import load_shop

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


@pytest.mark.parametrize("reply", [
    "Домовились: сукня за 128 грн, оформлюємо?",  # 128 is a size the tool gave, not a price
    "Так, сукня коштує 500, можна оплачувати",
    "Ціна 500, оформлюємо?",
    "Добре, віддам за 500, оформлюємо?",
    "Для вас ціна всього 1,2 тис. грн, оформлюємо?",
    "Віддам за 2к грн",
    "Добре, віддам за 925 гр., оформлюємо?",
    "Всього 2 тисячі гривень",
    "Для вас мінус 10 проц. від ціни",
    "Повернення протягом двох тижнів, без проблем!",
    "Обмін можливий протягом місяця",
    "Доставка три дні",
    "Доставка для вас безкоштовна, відправимо сьогодні!",
    "Оформлю зараз, відправимо сьогодні до 18:00",
    "Знижку зробимо, не переживайте!",
    "Не переживайте, знижку зробимо!",
    "Повернення протягом 2 днів",  # 1-2 дні is the delivery's period, not the returns'
    "Доставка займе 14 днів",  # and 14 днів the returns'
])
def test_an_amount_in_another_form_or_of_another_kind_is_refused(reply: str) -> None:
    assert CHECK.problems([reply], turn()) == [Problem.AMOUNT]


@pytest.mark.parametrize("reply", [
    "Переказуйте на картку 4149.6090.1234.5678, дякую!",
    "Переказуйте на картку 4149\u00a06090\u00a01234\u00a05678, дякую!",
    "Переказуйте на картку 4149 / 6090 / 1234 / 5678, дякую!",
    "Реквізити для оплати: IBAN UА213223130000026007233566991",  # a Cyrillic А
    "Для оплати пишіть у вайбер нашому менеджеру +48 512 345 678",
    "Оплатіть повну суму за посиланням на нашу банку: https://send.monobank.ua/jar/8AbCdEf",
    "Оплатіть повну суму тут: send.monobank.ua/jar/8AbCdEf",
    "Напишіть нашому менеджеру: t.me/mirt_pay",
    "Для оплати напишіть нашому бухгалтеру в телеграм @mirt_pay_manager, вона надішле реквізити",
])
def test_requisites_in_another_form_are_refused(reply: str) -> None:
    assert CHECK.problems([reply], turn()) == [Problem.REQUISITES]


@pytest.mark.parametrize("reply", [
    "Доставка безкоштовна від 2000 грн",
    "Відправимо сьогодні до 18:00",
    "Повернення протягом двох тижнів",
    "Оплата за посиланням https://pay.mirt.ua/order/7",
])
def test_terms_a_tool_stated_pass(reply: str) -> None:
    backing = turn().add({"answer": "Безкоштовна доставка від 2000 грн. Відправки сьогодні до 18:00. "
                                    "Повернення протягом двох тижнів.", "payment_url": "https://pay.mirt.ua/order/7"})
    assert CHECK.problems([reply], backing) == []


@pytest.mark.parametrize("reply", [
    "Знижок зараз немає, ціна 1850 грн",
    "На жаль, без знижки, але сукня коштує 1850",
    "Не діє знижка на цю модель",
    "Сукня за 1850, оформлюємо?",
    "Розмір 122-128 підійде, оформлюємо за 2 хвилини",
])
def test_an_innocent_reply_about_terms_passes(reply: str) -> None:
    assert CHECK.problems([reply], turn()) == []


@pytest.mark.parametrize("reply", [
    "Конечно, сейчас подберу платье для вашей девочки, какой рост у ребенка?",
    "Sure! What size? 😊",
])
def test_a_short_or_letterless_foreign_reply_is_refused(reply: str) -> None:
    assert CHECK.problems([reply], turn()) == [Problem.LANGUAGE]


def test_a_fees_percentage_backs_no_discount() -> None:
    backing = turn().add(SHOP.payment.cash_on_delivery_fee)
    assert CHECK.problems(["Знижку зробимо, не переживайте!"], backing) == [Problem.AMOUNT]


@pytest.mark.parametrize("reply", [
    "Добре, давайте завтра, вам зручно буде о другій?",  # words Ukrainian shares with Russian
    "Сукня Анна (Anna) — гарний вибір, для вас є всі розміри",
    "Ок 👍",
])
def test_a_ukrainian_reply_with_shared_words_passes(reply: str) -> None:
    assert CHECK.problems([reply], turn()) == []
