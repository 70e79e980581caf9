"""The sale when what it depends on fails or pushes back, end to end through polling and the fakes: a model that is
down or hangs (an honest reply, one alert, the answer when it is back), Telegram's 429 and 403, and Telegram's limits on
what the bot sends (a reply over 4096 characters, the pace of messages into one chat)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg

from config.shop import load_shop
from tests.fakes.openai_api import echo
from tests.harness import Wire, running_bot
from tests.pacing import too_fast
from tests.test_sale import MANAGERS, say


async def test_llm_outage_gets_an_honest_reply_one_alert_and_the_answer_when_it_is_back(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 1105
    wire.openai.fail(500, times=6)  # two tries of the turn, each the first call and the SDK's two retries
    apology = load_shop(None).text("llm_unavailable")
    async with running_bot(wire, admin_chat_id=MANAGERS, llm_retry_delay="0.3s"):
        update_id = wire.telegram.send(chat, "Добрий день")
        assert await wire.telegram.wait_for_messages(chat, 1) == [apology]
        wire.telegram.send(chat, "Ви тут?")  # written while the model is still down: joins the waiting turn
        replies = await wire.telegram.wait_for_messages(chat, 2)
    assert replies == [apology, "Відповідь на: Добрий день\nВи тут?"]
    alerts = [c for c in wire.telegram.calls_of("sendMessage") if int(c.params["chat_id"]) == MANAGERS]
    assert len(alerts) == 1
    errors = await db.fetchval("SELECT count(*) FROM llm_traces WHERE session_id = $1 AND status = 'ERROR'", str(chat))
    assert errors == 2
    assert await db.fetchval("SELECT handled_at IS NOT NULL FROM update_inbox WHERE update_id = $1", update_id)
    answers = await db.fetch("SELECT content FROM messages WHERE session_id = $1 AND role = 'assistant' ORDER BY id",
                             str(chat))
    assert [a["content"] for a in answers] == replies


async def test_a_model_that_hangs_is_cut_off_at_llm_timeout_and_the_turn_answered_when_it_responds(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 1108
    hanging = 3  # the turn's call and the SDK's two retries

    async def slow_then_fine(request: dict[str, Any]) -> str:
        nonlocal hanging
        if hanging:
            hanging -= 1
            await asyncio.sleep(6)  # far past LLM_TIMEOUT: only the client's timeout ends the wait
        return echo(request)

    wire.openai.script = slow_then_fine
    apology = load_shop(None).text("llm_unavailable")
    async with running_bot(wire, llm_timeout="0.5s", llm_retry_delay="0.3s"):
        wire.telegram.send(chat, "Добрий день")
        # Without the timeout the first call would answer after 6 s, and no apology would come.
        assert await wire.telegram.wait_for_messages(chat, 1, timeout=30) == [apology]
        assert await wire.telegram.wait_for_messages(chat, 2) == [apology, "Відповідь на: Добрий день"]
    errors = await db.fetch("SELECT output_snapshot FROM llm_traces WHERE session_id = $1 AND status = 'ERROR'",
                            str(chat))
    assert len(errors) == 1 and "Timeout" in json.dumps(errors[0]["output_snapshot"])


async def test_telegram_429_is_waited_out_and_403_marks_the_customer_blocked(wire: Wire, db: asyncpg.Pool) -> None:
    patient, gone = 1106, 1107
    async with running_bot(wire):
        wire.telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        wire.telegram.send(patient, "Привіт")
        assert await wire.telegram.wait_for_messages(patient, 1) == ["Відповідь на: Привіт"]
        wire.telegram.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        update_id = wire.telegram.send(gone, "Привіт")
        await wire.telegram.wait_for(lambda: any(
            c.params.get("_failed") and int(c.params["chat_id"]) == gone for c in wire.telegram.calls_of("sendMessage")))
    assert await db.fetchval("SELECT blocked_at IS NOT NULL FROM users WHERE external_id = $1", str(gone))
    assert await db.fetchval("SELECT handled_at IS NOT NULL FROM update_inbox WHERE update_id = $1", update_id)


async def test_a_long_reply_arrives_as_two_messages(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 1108
    paragraphs = [f"Абзац {n}: " + " ".join(["м'який трикотаж"] * 24) for n in range(16)]  # ~6,000 characters
    wire.openai.script = lambda request: say("\n\n".join(paragraphs), state="STATE_1_DISCOVERY")
    async with running_bot(wire):
        wire.telegram.send(chat, "Розкажіть про тканини")
        await wire.telegram.wait_for(lambda: "Абзац 15" in "".join(wire.telegram.sent_to(chat)))
    parts = wire.telegram.sent_to(chat)
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)

async def test_replies_into_one_chat_are_paced_at_telegrams_limit(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 1111
    wire.openai.script = lambda request: say("Перше.", "Друге.", "Третє.", state="STATE_1_DISCOVERY")
    async with running_bot(wire, outbound_chat_interval="1s"):
        wire.telegram.send(chat, "Розкажіть усе")
        await wire.telegram.wait_for_messages(chat, 3)
    sent = [c.at for c in wire.telegram.calls_of("sendMessage") if int(c.params["chat_id"]) == chat]
    assert len(sent) == 3 and too_fast(sent, 1.0) == []
