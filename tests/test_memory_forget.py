"""/forget through the running bot: a confirmation button, then nothing of the customer remains in memory,
messages, sessions or checkpoints; orders stay with name and phone masked; another customer is untouched."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest_asyncio

from memory.facts import Candidate, ProposedFact, store_facts
from memory.summaries import Summary
from storage.memory import replace_summary
from storage.questions import record_unanswered
from tests.fakes.openai_api import embedding_of
from tests.fakes.telegram import BOT_ID
from tests.harness import Wire, running_bot


async def a_known_customer(db: asyncpg.Pool, wire: Wire, chat: int) -> None:
    """A customer who talked to the bot, is remembered, has a summary, an unanswered question and an order."""
    wire.telegram.send(chat, "Шукаю сукню Марійці, зріст 128")
    await wire.telegram.wait_for_messages(chat, 1)
    fact = ProposedFact(content="Марійка має зріст 128 см", fact_type="preference", category="child",
                        importance=0.8, surprise=0.8, confidence=0.9, child="Марійка", slot="height_cm",
                        value="128")
    await store_facts(db, str(chat), str(chat), [Candidate(fact, embedding_of(fact.content))], datetime.now(UTC),
                      erasure_seen=None)
    summary = Summary(summary_text="Марійка, 128 см.", key_facts=["Марійка 128 см"])
    await replace_summary(db, str(chat), summary.summary_text, summary.key_facts, 1, datetime.now(UTC),
                          erasure_seen=None)
    await record_unanswered(db, str(chat), str(chat), "Ви шиєте на замовлення для Марійки?")
    order_id = await db.fetchval(
        """INSERT INTO orders (user_id, session_id, customer_name, customer_phone, customer_city, total_amount)
           VALUES ($1, $1, 'Оксана Петренко', '+380671234567', 'Львів', 1450.00) RETURNING id""", str(chat))
    await db.execute("""INSERT INTO crm_orders (order_id, session_id, external_id, order_data)
                        VALUES ($1, $2, $3, $4)""", order_id, str(chat), f"ext-{order_id}",
                     {"customer": {"name": "Оксана Петренко", "phone": "+380671234567", "city": "Львів"}})


def press(wire: Wire, chat: int, data: str) -> None:
    """The customer presses an inline button under the bot's last message."""
    wire.telegram.deliver({"callback_query": {
        "id": f"cb-{chat}-{data}", "chat_instance": f"ci-{chat}", "data": data,
        "from": {"id": chat, "is_bot": False, "first_name": "Оксана"},
        "message": {"message_id": 1, "date": int(time.time()), "text": "…",
                    "chat": {"id": chat, "type": "private"}, "from": {"id": BOT_ID, "is_bot": True,
                                                                         "first_name": "MIRT"}},
    }})


def edits_in(wire: Wire, chat: int) -> list[str]:
    return [c.params["text"] for c in wire.telegram.calls_of("editMessageText") if int(c.params["chat_id"]) == chat]


async def rows_of(db: asyncpg.Pool, chat: int) -> dict[str, int]:
    key = str(chat)
    counts = {}
    for table, where in [("mirt_profiles", "user_id"), ("mirt_memories", "user_id"),
                         ("mirt_memory_summaries", "user_id"), ("messages", "session_id"),
                         ("agent_sessions", "session_id"), ("unanswered_questions", "session_id"),
                         ("checkpoints", "thread_id"),
                         ("checkpoint_blobs", "thread_id"),
                         ("users", "external_id")]:
        counts[table] = await db.fetchval(f"SELECT count(*) FROM {table} WHERE {where} = $1", key)
    return counts


async def test_forget_erases_the_customer_after_confirmation(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat, other = 6101, 6102
    async with running_bot(wire):
        await a_known_customer(db, wire, chat)
        await a_known_customer(db, wire, other)

        wire.telegram.send(chat, "/forget")
        await wire.telegram.wait_for_messages(chat, 2)
        question = wire.telegram.calls_of("sendMessage")[-1].params
        assert "Видалити все, що я про вас памʼятаю" in question["text"]
        buttons = question["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["Так, видалити", "Ні, залишити"]
        assert all(count > 0 for count in (await rows_of(db, chat)).values())

        press(wire, chat, buttons[0]["callback_data"])
        await wire.telegram.wait_for(lambda: bool(edits_in(wire, chat)))

    [report] = edits_in(wire, chat)
    assert "я видалила все" in report and "факти: 1" in report and "повідомлення: 2" in report
    assert "Замовлень, у яких приховано імʼя й телефон: 1" in report
    assert await rows_of(db, chat) == dict.fromkeys(await rows_of(db, chat), 0)
    order = await db.fetchrow("SELECT customer_name, customer_phone, customer_city, total_amount FROM orders "
                              "WHERE user_id = $1", str(chat))
    assert dict(order) == {"customer_name": "***", "customer_phone": "***67", "customer_city": "Львів",
                           "total_amount": Decimal("1450.00")}
    crm = await db.fetchval("SELECT order_data FROM crm_orders WHERE session_id = $1", str(chat))
    assert crm["customer"] == {"name": "***", "phone": "***67", "city": "Львів"}
    traces = await db.fetch("SELECT input_snapshot, output_snapshot, tokens_in FROM llm_traces "
                            "WHERE session_id = $1", str(chat))
    assert traces and all(t["input_snapshot"] == t["output_snapshot"] == {"erased": True} and t["tokens_in"] > 0
                          for t in traces)
    assert await db.fetchval("SELECT count(*) FROM update_inbox WHERE chat_id = $1", chat) == 0
    # the other customer is untouched
    assert all(count > 0 for count in (await rows_of(db, other)).values())
    assert await db.fetchval("SELECT customer_name FROM orders WHERE user_id = $1", str(other)) == "Оксана Петренко"


async def test_forget_can_be_declined(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 6103
    async with running_bot(wire):
        await a_known_customer(db, wire, chat)
        wire.telegram.send(chat, "/forget")
        await wire.telegram.wait_for_messages(chat, 2)
        press(wire, chat, "forget:no")
        await wire.telegram.wait_for(lambda: bool(edits_in(wire, chat)))
    assert edits_in(wire, chat) == ["Добре, нічого не видаляю 🙂"]
    assert all(count > 0 for count in (await rows_of(db, chat)).values())


async def test_a_forgotten_customer_who_writes_again_is_stored_again(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 6104
    async with running_bot(wire):
        wire.telegram.send(chat, "Шукаю сукню Марійці, зріст 128")
        await wire.telegram.wait_for_messages(chat, 1)
        wire.telegram.send(chat, "/forget")
        await wire.telegram.wait_for_messages(chat, 2)
        yes = wire.telegram.calls_of("sendMessage")[-1].params["reply_markup"]["inline_keyboard"][0][0]
        press(wire, chat, yes["callback_data"])
        await wire.telegram.wait_for(lambda: bool(edits_in(wire, chat)))
        assert await db.fetchval("SELECT count(*) FROM users WHERE external_id = $1", str(chat)) == 0
        wire.telegram.send(chat, "Добрий день, а є піжами?")  # the same process, the same name as before
        await wire.telegram.wait_for_messages(chat, 3)
    assert await db.fetchval("SELECT first_name FROM users WHERE external_id = $1", str(chat)) == "Оксана"
