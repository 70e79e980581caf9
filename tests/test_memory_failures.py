"""What the model proposes to remember is checked fact by fact, and a memory write that fails or hangs costs at
most that turn's facts: remember_turn never raises, and the reply never waits for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
import pytest_asyncio
from openai import AsyncOpenAI
from structlog.testing import capture_logs

from catalog.embeddings import Embed, openai_embed
from memory.turns import BackgroundMemory, remember_turn
from tests.harness import Wire

GOOD = {"content": "Марійка любить жовтий колір", "fact_type": "preference", "category": "style",
        "importance": 0.8, "surprise": 0.8, "confidence": 0.7, "child": "Марійка", "slot": "favorite_colors",
        "value": "жовтий"}


@pytest_asyncio.fixture
async def embed(wire: Wire) -> AsyncIterator[Embed]:
    client = AsyncOpenAI(api_key="sk-test-key-for-fake", base_url=wire.openai.url, max_retries=0)
    yield openai_embed(client, "text-embedding-3-small")
    await client.close()


async def facts_of(db: asyncpg.Pool, user_id: str) -> list[str]:
    return [r["content"] for r in await db.fetch("SELECT content FROM mirt_memories WHERE user_id = $1", user_id)]


@pytest.mark.parametrize("proposed", ["Марійка любить жовтий", {"facts": [GOOD]}, None])
async def test_facts_that_are_not_a_list_are_dropped(db: asyncpg.Pool, embed: Embed, proposed: object) -> None:
    await remember_turn(db, embed, "8001", "8001", proposed, datetime.now(UTC))
    assert await facts_of(db, "8001") == []


async def test_an_embedding_provider_that_is_down_costs_only_this_turns_facts(
    wire: Wire, db: asyncpg.Pool
) -> None:
    async def down(texts: list[str]) -> list[list[float]]:
        raise ConnectionError("embeddings down")

    with capture_logs() as logs:
        await remember_turn(db, down, "8002", "8002", [GOOD], datetime.now(UTC))
    assert await facts_of(db, "8002") == []
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["memory_turn_failed"]


async def test_malformed_facts_are_dropped_one_by_one(db: asyncpg.Pool, embed: Embed) -> None:
    broken = [{**GOOD, "importance": 7}, {**GOOD, "fact_type": "мрія"}, {"content": "без полів"}, "факт"]
    await remember_turn(db, embed, "8003", "8003", [*broken, GOOD], datetime.now(UTC))
    assert await facts_of(db, "8003") == ["Марійка любить жовтий колір"]


def hanging(release: asyncio.Event, inner: Embed) -> Embed:
    async def embed(texts: list[str]) -> list[list[float]]:
        await release.wait()
        return await inner(texts)

    return embed


async def test_the_reply_does_not_wait_for_memory(db: asyncpg.Pool, embed: Embed) -> None:
    release = asyncio.Event()
    memory = BackgroundMemory(db, hanging(release, embed))
    memory.after_reply("8004", "8004", [GOOD], datetime.now(UTC))  # returns at once
    await asyncio.sleep(0)
    assert await facts_of(db, "8004") == []  # the reply went out; the facts are still being written
    release.set()
    await memory.drain(timeout=10)
    assert await facts_of(db, "8004") == ["Марійка любить жовтий колір"]


async def test_shutdown_cuts_off_a_memory_write_that_hangs(db: asyncpg.Pool, embed: Embed) -> None:
    memory = BackgroundMemory(db, hanging(asyncio.Event(), embed))
    memory.after_reply("8005", "8005", [GOOD], datetime.now(UTC))
    await asyncio.wait_for(memory.drain(timeout=0.05), 5)
    assert await facts_of(db, "8005") == []
