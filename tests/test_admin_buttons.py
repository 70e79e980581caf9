"""The managers' buttons pressed by an admin, through the real process: "Взяти розмову" on a card the assistant
keeps (a model outage) hands the chat over, and "Скасувати" on an order card cancels the order."""

from __future__ import annotations

import asyncpg

from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, group_message
from tests.test_admin_orders import ordered
from tests.test_sale import sales_script


async def test_take_the_conversation_pressed_by_an_admin_hands_the_chat_to_the_managers(
    wire: Wire, db: asyncpg.Pool
) -> None:
    tg, customer = wire.telegram, 2601
    wire.openai.fail(500, times=3)  # the turn's call and the SDK's two retries: the model is down
    # The waiting turn is retried after LLM_RETRY_DELAY; messages written meanwhile join it, so they reach the
    # managers only at that retry (1 s here, 30 s by default).
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS, llm_retry_delay="1s"):
        tg.send(customer, "Чи є костюм на зріст 110?")
        await tg.wait_for_messages(customer, 1)  # the apology
        await tg.wait_for(lambda: any("Взяти розмову" in str(m.get("reply_markup")) for m in tg.messages_in(MANAGERS)))
        card = next(m for m in tg.messages_in(MANAGERS) if "Взяти розмову" in str(m.get("reply_markup")))
        assert await db.fetchval("SELECT human_since FROM agent_sessions WHERE session_id = $1", str(customer)) is None
        [[take]] = card["reply_markup"]["inline_keyboard"]
        tg.press(MANAGERS, ADMIN, card["message_id"], take["callback_data"], first_name="Олена")
        await tg.wait_for(lambda: any("Олена веде розмову" in (m.get("text") or "") for m in tg.messages_in(MANAGERS)))
        tg.send(customer, "Алло, є хтось?")
        await tg.wait_for(lambda: any("Алло" in (m.get("text") or "") for m in tg.messages_in(MANAGERS)))
    taken = await db.fetchrow("SELECT taken_by, taken_by_name FROM handoffs WHERE session_id = $1", str(customer))
    assert (taken["taken_by"], taken["taken_by_name"]) == (ADMIN, "Олена")
    assert await db.fetchval("SELECT human_since IS NOT NULL FROM agent_sessions WHERE session_id = $1",
                             str(customer))
    assert len(tg.sent_to(customer)) == 1  # nothing from the assistant once the managers have the chat


async def test_cancel_pressed_by_an_admin_cancels_the_order_and_closes_the_card(
    wire: Wire, db: asyncpg.Pool, demo_catalog: None
) -> None:
    tg, customer = wire.telegram, 2602
    wire.openai.script = sales_script
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        order_id, card = await ordered(tg, db, customer)
        [[_, cancel]] = card["reply_markup"]["inline_keyboard"]
        said_before = len(tg.sent_to(customer))
        tg.press(MANAGERS, ADMIN, card["message_id"], cancel["callback_data"], first_name="Олена")
        await tg.wait_for(lambda: bool(tg.calls_of("editMessageText")))
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order_id) == "cancelled"
    closed = group_message(tg, f"Нове замовлення №{order_id}")
    assert "reply_markup" not in closed and "Олена" in closed["text"].rsplit("\n\n", 1)[1]
    assert len(tg.sent_to(customer)) == said_before
