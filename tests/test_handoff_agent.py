"""The agent's own escalation goes the managers' way: a card with everything needed, and the bot goes quiet."""

from __future__ import annotations

from typing import Any

import asyncpg

from config.shop import load_shop
from tests.fakes.openai_api import last_user_text
from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, copies_to, group_message
from tests.test_sale import call, sales_script, say, tool_result


def complaint_script(request: dict[str, Any]) -> Any:
    if "не той розмір" in last_user_text(request):
        if tool_result(request) is None:
            return call("call_manager", reason="скарга: прийшов не той розмір, просить повернути гроші")
        return say("Мені дуже шкода! Передаю вашу скаргу менеджерці.", state="STATE_8_COMPLAINT")
    return sales_script(request)


async def test_a_complaint_reaches_the_managers_as_a_card_and_the_bot_goes_quiet(
    wire: Wire, db: asyncpg.Pool, demo_catalog: None
) -> None:
    tg, customer = wire.telegram, 2201
    wire.openai.script = complaint_script
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        for n, text in enumerate(["Шукаю сукню доньці, зріст 119", "рожевий"], start=1):
            tg.send(customer, text)
            await tg.wait_for_messages(customer, n)
        tg.send(customer, "Ви надіслали не той розмір, поверніть гроші!")
        await tg.wait_for(lambda: any("Причина:" in t for t in tg.sent_to(MANAGERS)))
        card = group_message(tg, "Причина:")
        said = await tg.wait_for_messages(customer, 4)
        tg.send(customer, "То що, коли повернете?")
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == 1)
    assert said[2:] == ["Мені дуже шкода! Передаю вашу скаргу менеджерці.", load_shop(None).text("manager_called")]
    assert len(tg.sent_to(customer)) == 4  # nothing from the AI after the handoff
    text = card["text"]
    assert text.startswith("🙋 Покупець просить менеджера")
    assert "Причина: скарга: прийшов не той розмір, просить повернути гроші" in text
    assert f"Покупець: Оксана @oksana_mama (id {customer})" in text
    assert "Дитина: 122-128" in text and "• Сукня Анна, розмір 122-128, рожевий, 1 шт. × 1850 грн" in text
    assert "👤 Ви надіслали не той розмір, поверніть гроші!" in text and "🤖 " in text
    assert card["reply_markup"]["inline_keyboard"][0][0]["text"] == "Взяти розмову"
    assert await db.fetchval("SELECT human_since IS NOT NULL FROM agent_sessions WHERE session_id = $1", str(customer))
