"""The extraction call failing or answering garbage costs at most that turn's facts: remember_turn never raises,
and the reply never waits for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from openai import AsyncOpenAI
from structlog.testing import capture_logs

from agent.llm import Llm
from catalog.embeddings import Embed, openai_embed
from memory.turns import BackgroundMemory, remember_turn
from tests.harness import Wire

GOOD = {"content": "Марійка любить жовтий колір", "fact_type": "preference", "category": "style",
        "importance": 0.8, "surprise": 0.8, "confidence": 0.7, "child": "Марійка", "slot": "favorite_colors",
        "value": "жовтий"}


@pytest_asyncio.fixture
async def model(wire: Wire, db: asyncpg.Pool) -> AsyncIterator[tuple[Llm, Embed]]:
    client = AsyncOpenAI(api_key="sk-test-key-for-fake", base_url=wire.openai.url, max_retries=0)
    yield Llm(client, db, "gpt-4o-mini", {}), openai_embed(client, "text-embedding-3-small")
    await client.close()


async def facts_of(db: asyncpg.Pool, user_id: str) -> list[str]:
    return [r["content"] for r in await db.fetch("SELECT content FROM mirt_memories WHERE user_id = $1", user_id)]


@pytest.mark.parametrize("reply", [
    "Звісно! Ось факти: Марійка любить жовтий",  # prose instead of JSON
    json.dumps({"fakty": []}),  # JSON of the wrong shape
    json.dumps([GOOD]),  # a list where an object was promised
])
async def test_garbage_from_the_model_is_logged_and_dropped(
    wire: Wire, db: asyncpg.Pool, model: tuple[Llm, Embed], reply: str
) -> None:
    llm, embed = model
    wire.openai.script = lambda request: reply
    with capture_logs() as logs:
        await remember_turn(db, llm, embed, "8001", "8001", "Марійка любить жовтий", "Гарний вибір!")
    assert await facts_of(db, "8001") == []
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["memory_turn_failed"]


async def test_a_model_that_is_down_costs_only_this_turns_facts(
    wire: Wire, db: asyncpg.Pool, model: tuple[Llm, Embed]
) -> None:
    llm, embed = model
    wire.openai.fail(503)
    await remember_turn(db, llm, embed, "8002", "8002", "Марійка любить жовтий", "Гарний вибір!")
    assert await facts_of(db, "8002") == []
    trace = await db.fetchrow("SELECT node_name, status FROM llm_traces WHERE session_id = '8002'")
    assert (trace["node_name"], trace["status"]) == ("memory_extract", "ERROR")


async def test_malformed_facts_are_dropped_one_by_one(
    wire: Wire, db: asyncpg.Pool, model: tuple[Llm, Embed]
) -> None:
    llm, embed = model
    broken = [{**GOOD, "importance": 7}, {**GOOD, "fact_type": "мрія"}, {"content": "без полів"}]
    wire.openai.script = lambda request: json.dumps({"facts": [*broken, GOOD]}, ensure_ascii=False)
    wire.openai.hold_to_schema = False  # facts strict mode should make impossible, guarded anyway
    await remember_turn(db, llm, embed, "8003", "8003", "Марійка любить жовтий", "Гарний вибір!")
    assert await facts_of(db, "8003") == ["Марійка любить жовтий колір"]


async def test_the_reply_does_not_wait_for_memory(wire: Wire, db: asyncpg.Pool, model: tuple[Llm, Embed]) -> None:
    llm, embed = model
    wire.openai.script = lambda request: json.dumps({"facts": [GOOD]}, ensure_ascii=False)
    wire.openai.gate.clear()  # the model hangs
    memory = BackgroundMemory(db, llm, embed)
    memory.after_reply("8004", "8004", "Марійка любить жовтий", "Гарний вибір!")  # returns at once
    await wire.openai.wait_for_requests(1)
    assert await facts_of(db, "8004") == []  # the reply went out; the facts are still being extracted
    wire.openai.gate.set()
    await memory.drain(timeout=10)
    assert await facts_of(db, "8004") == ["Марійка любить жовтий колір"]


async def test_shutdown_cuts_off_a_memory_write_that_hangs(
    wire: Wire, db: asyncpg.Pool, model: tuple[Llm, Embed]
) -> None:
    llm, embed = model
    wire.openai.gate.clear()
    memory = BackgroundMemory(db, llm, embed)
    memory.after_reply("8005", "8005", "Марійка любить жовтий", "Гарний вибір!")
    await wire.openai.wait_for_requests(1)
    await asyncio.wait_for(memory.drain(timeout=0.05), 5)
    assert await facts_of(db, "8005") == []
