"""Through the real process, the output check on what a reply states: a price the tools did not return is never
shown (the shop's "price unsure" words are) while a price the model corrects to the catalog's reaches the customer;
a reply that states money, requisites or terms in a form the output check once missed (a size sold as a price, a
price without its unit, a card number with dots, a discount next to an unrelated "не") never reaches the customer
as is; the shop's fallback or an honest regenerated reply does."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from config.shop import load_shop
from tests.harness import Wire, running_bot
from tests.test_sale import call, say, tool_result


async def test_a_model_that_states_a_wrong_price_is_never_shown(
    wire: Wire, db: asyncpg.Pool, demo_catalog: None
) -> None:
    chat = 1102

    def liar(request: dict[str, Any]) -> Any:
        if tool_result(request) is None and request["messages"][-1]["role"] == "user":
            return call("search_products", query="сукня", height_cm=128)
        return say("Сукня Анна коштує всього 999 грн!", state="STATE_3_SIZE_COLOR")

    wire.openai.script = liar
    async with running_bot(wire):
        wire.telegram.send(chat, "Скільки коштує сукня на 128?")
        [reply] = await wire.telegram.wait_for_messages(chat, 1)
    assert "999" not in reply
    assert reply == load_shop(None).text("price_unsure")


async def test_a_corrected_price_reaches_the_customer(wire: Wire, db: asyncpg.Pool, demo_catalog: None) -> None:
    chat = 1103
    answers = iter([say("Сукня Анна — 1500 грн", state="STATE_3_SIZE_COLOR"),
                    say("Сукня Анна — 1850 грн", state="STATE_3_SIZE_COLOR")])

    def corrected(request: dict[str, Any]) -> Any:
        if request["messages"][-1]["role"] == "user":
            return call("product_details", sku="MIRT-ANNA")
        return next(answers)

    wire.openai.script = corrected
    async with running_bot(wire):
        wire.telegram.send(chat, "Скільки коштує Анна?")
        assert await wire.telegram.wait_for_messages(chat, 1) == ["Сукня Анна — 1850 грн"]


async def test_a_size_a_tool_returned_does_not_back_a_price(wire: Wire, db: asyncpg.Pool, demo_catalog: None) -> None:
    chat = 9500

    def haggled(request: dict[str, Any]) -> Any:
        result = tool_result(request)
        if result is None:
            return call("search_products", query="сукня", height_cm=119)
        size = result["products"][0]["size_for_height"]  # "122-128"
        return say(f"Домовились: сукня за {size.split('-')[-1]} грн, оформлюємо?", state="STATE_4_OFFER")

    wire.openai.script = haggled
    async with running_bot(wire):
        wire.telegram.send(chat, "Сукня на зріст 119, віддасте за 128 грн?")
        [said] = await wire.telegram.wait_for_messages(chat, 1)
    assert "128 грн" not in said, f"the customer read: {said!r}"


# reply an obedient model gives → what in it the customer must not read
INVENTED = {
    "price without a unit": ("Так, сукня коштує 500, можна оплачувати", "500"),
    "card with dots": ("Переказуйте на картку 4149.6090.1234.5678, дякую!", "4149.6090"),
    "discount next to a 'не'": ("Знижку зробимо, не переживайте!", "Знижку"),
}


@pytest.mark.parametrize("case", list(INVENTED))
async def test_an_invention_in_another_form_never_reaches_the_customer(wire: Wire, db: asyncpg.Pool,
                                                                       case: str) -> None:
    reply, bad = INVENTED[case]
    chat = 9510 + list(INVENTED).index(case)
    wire.openai.script = lambda request: say(reply, state="STATE_4_OFFER")
    async with running_bot(wire):
        wire.telegram.send(chat, "Добрий день! Скільки коштує сукня Анна і куди платити?")
        [said] = await wire.telegram.wait_for_messages(chat, 1)
    assert bad not in said, f"the customer read: {said!r}"
