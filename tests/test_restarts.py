"""What outlives the process: messages waiting for the managers' group are posted after the next start (in order,
none twice), and the figures on /metrics read the same after a restart as before it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import asyncpg

from bot.app import BotProcess
from storage.handoffs import start_handoff
from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, copies_to


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15) -> None:
    """Wait until `check()` holds, looking every 50 ms: for what the bot stores, where no fake sees it happen."""
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still not so after {timeout} s")


async def waiting_for_managers(db: asyncpg.Pool, customer: int) -> int:
    return int(await db.fetchval("SELECT count(*) FROM managers_outbox WHERE session_id = $1 AND sent_at IS NULL",
                                 str(customer)))


async def test_messages_queued_for_the_managers_when_the_bot_stops_are_posted_after_the_next_start(
        wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3301
    questions = ["Де моє замовлення?", "Алло?", "Відпишіть, будь ласка"]

    async def waiting(count: int) -> bool:
        return await waiting_for_managers(db, customer) == count

    await start_handoff(db, str(customer), "тест", ADMIN, "Олена", datetime.now(UTC))
    tg.fail_chat(MANAGERS, 403, "Forbidden: bot was kicked from the supergroup chat")
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS, managers_chat_retry="1h"):
        for question in questions:
            tg.send(customer, question)
        await eventually(lambda: waiting(len(questions)))  # stored by the bot's own turns
    assert copies_to(tg, MANAGERS) == []

    tg.recover(MANAGERS)  # the group is back; the bot starts again
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == len(questions))
        await eventually(lambda: waiting(0))  # and recorded as sent
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):  # and once more: only the new one
        tg.send(customer, "Дякую")
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == len(questions) + 1)
        await eventually(lambda: waiting(0))  # and recorded as sent
    assert tg.sent_to(MANAGERS) == [*questions, "Дякую"]
    assert len(copies_to(tg, MANAGERS)) == len(questions) + 1


async def metrics_of(process: BotProcess) -> dict[str, str]:
    assert process.health is not None
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{process.health.port}/metrics") as response:
        lines = (await response.text()).splitlines()
    return dict(line.rsplit(" ", 1) for line in lines if not line.startswith("#"))


async def test_metrics_read_the_same_after_a_restart(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customers = wire.telegram, (3302, 3303)
    async with running_bot(wire) as process:
        calls_before = int((await metrics_of(process))["mirt_llm_calls_total"])
        for customer in customers:
            tg.send(customer, "Привіт")
        for customer in customers:
            await tg.wait_for_messages(customer, 1)
        async def quiet() -> bool:  # every turn marked done, every model call traced
            nonlocal before
            before = await metrics_of(process)
            return (before["mirt_turns_total"] == before["mirt_updates_total"]
                    and int(before["mirt_llm_calls_total"]) - calls_before == len(wire.openai.requests))

        before: dict[str, str] = {}
        await eventually(quiet)
    async with running_bot(wire) as process:
        after = await metrics_of(process)
    assert int(before["mirt_updates_total"]) >= len(customers) and int(before["mirt_llm_calls_total"]) >= 2
    assert float(before["mirt_llm_latency_seconds_sum"]) > 0
    assert after == before
