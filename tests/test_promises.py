"""README promises that had no test, each through the real process and the fakes (which refuse what Telegram
refuses): the per-hour turn limit, the message-length limit, replies longer than one Telegram message."""

from __future__ import annotations

import json

import asyncpg
import pytest

from agent.reply_shape import MAX_BUBBLES
from config.shop import load_shop
from outbound.replies import utf16_len
from tests.fakes.telegram_limits import TEXT_LIMIT
from tests.harness import Wire, running_bot
from tests.pacing import too_fast

SHOP = load_shop(None)


async def test_past_the_turns_per_hour_the_customer_gets_the_pause_message_and_the_model_is_not_asked(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 4101
    async with running_bot(wire, llm_turns_per_hour="2"):
        for n, text in enumerate(("Перше питання", "Друге питання", "Третє питання"), start=1):
            wire.telegram.send(chat, text)
            await wire.telegram.wait_for_messages(chat, n)
    assert wire.telegram.sent_to(chat) == ["Відповідь на: Перше питання", "Відповідь на: Друге питання",
                                           SHOP.text("turn_budget_exceeded")]
    assert [r["messages"][-1]["content"] for r in wire.openai.requests_for("reply")] == [
        "Перше питання", "Друге питання"]


async def test_a_turn_that_waited_out_a_model_outage_counts_once_against_the_turns_per_hour(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 4104
    wire.openai.fail(500, times=6)  # two tries of the turn (each the SDK's call and its two retries) fail
    async with running_bot(wire, llm_turns_per_hour="2", llm_retry_delay="0.1s"):
        wire.telegram.send(chat, "Перше питання")
        await wire.telegram.wait_for_messages(chat, 2)
        wire.telegram.send(chat, "Друге питання")
        await wire.telegram.wait_for_messages(chat, 3)
    # The customer sent two messages in the hour: both answered, the outage's failed calls are not their turns.
    assert wire.telegram.sent_to(chat) == [SHOP.text("llm_unavailable"), "Відповідь на: Перше питання",
                                           "Відповідь на: Друге питання"]


async def test_a_message_over_the_length_limit_gets_the_request_to_shorten_and_one_at_the_limit_an_answer(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 4102
    at_limit, over = "а" * 100, "б" * 101
    async with running_bot(wire, max_message_length="100"):
        wire.telegram.send(chat, over)
        await wire.telegram.wait_for_messages(chat, 1)
        wire.telegram.send(chat, at_limit)
        await wire.telegram.wait_for_messages(chat, 2)
    assert wire.telegram.sent_to(chat) == [SHOP.text("too_long", limit=100), f"Відповідь на: {at_limit}"]
    assert all(over not in json.dumps(r, ensure_ascii=False) for r in wire.openai.requests)  # never sent to the model


async def test_a_reply_longer_than_one_message_arrives_whole_in_parts_telegram_accepts(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 4103
    paragraph = ("Гарна сукня 👗👗👗🎀🎀 " * 110).strip()
    long_bubble = f"{paragraph}\n\n{paragraph}"  # 3960 characters, 5060 UTF-16 units: each emoji counts twice
    assert len(long_bubble) <= TEXT_LIMIT < utf16_len(long_bubble)
    wire.openai.script = lambda request: json.dumps(
        {"bubbles": [long_bubble], "next_state": "STATE_1_DISCOVERY", "show_products": [], "facts": []},
        ensure_ascii=False)
    async with running_bot(wire):
        wire.telegram.send(chat, "Розкажіть про сукню")
        await wire.telegram.wait_for_messages(chat, 2)
    parts = wire.telegram.sent_to(chat)
    refused = [c for c in wire.telegram.calls_of("sendMessage") if c.params.get("_failed")]
    assert refused == [] and len(parts) == 2
    assert all(utf16_len(p) <= TEXT_LIMIT for p in parts) and "\n\n".join(parts) == long_bubble


async def test_replies_to_many_chats_at_once_keep_the_overall_rate(wire: Wire, db: asyncpg.Pool) -> None:
    chats, per_second = tuple(range(4130, 4138)), 12  # Telegram's is 30 a second; the test keeps the shape
    bubbles = [f"Частина {n}." for n in range(1, MAX_BUBBLES + 1)]  # a reply holds at most MAX_BUBBLES
    wire.openai.script = lambda request: json.dumps(
        {"bubbles": bubbles, "next_state": "STATE_1_DISCOVERY", "show_products": [], "facts": []}, ensure_ascii=False)
    async with running_bot(wire, outbound_per_second=str(per_second)):
        for chat in chats:
            wire.telegram.send(chat, "Розкажіть усе")
        await wire.telegram.wait_for(lambda: all(len(wire.telegram.sent_to(c)) == len(bubbles) for c in chats))
    sent = [c.at for c in wire.telegram.calls_of("sendMessage") if int(c.params["chat_id"]) in chats]
    assert all(wire.telegram.sent_to(c) == bubbles for c in chats)  # every chat got all of it, in order
    assert len(sent) == 24 and too_fast(sent, 1 / per_second) == []


async def test_a_wait_that_times_out_names_what_the_fakes_refused(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 4107
    wire.telegram.gone.add(chat)  # the bot's answer is refused: 400 chat not found
    async with running_bot(wire):
        wire.telegram.send(chat, "Привіт")
        with pytest.raises(AssertionError, match="Telegram sendMessage 400: Bad Request: chat not found"):
            await wire.telegram.wait_for_messages(chat, 1, timeout=3)
