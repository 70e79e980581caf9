"""Through the real process: a reply that states money, requisites or terms in a form the output check once
missed (a size sold as a price, a price without its unit, a card number with dots, a discount next to an unrelated
"не") never reaches the customer as is; the shop's fallback or an honest regenerated reply does."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.harness import Wire, running_bot
from tests.test_sale import call, say, tool_result


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
