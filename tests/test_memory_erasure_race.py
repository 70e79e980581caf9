"""/forget confirmed while a memory write waits on the model: when the model answers, nothing of the customer is
recreated (facts, profile, summary) and the late call's trace is masked like the others; what the customer says
after the erasure is remembered as usual."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest_asyncio
from openai import AsyncOpenAI

from catalog.embeddings import Embed, openai_embed
from llm.client import CallContext, Llm
from memory.erase import forget_customer
from memory.facts import Candidate, ProposedFact, store_facts
from memory.summaries import weekly_summaries
from memory.turns import remember_turn
from storage.checkpoints import LatestCheckpointSaver
from storage.erasure import ERASED
from storage.migrate import setup_checkpointer
from tests.fakes.openai_api import embedding_of
from tests.harness import Wire

GOOD = {"content": "Марійка любить жовтий колір", "fact_type": "preference", "category": "style",
        "importance": 0.8, "surprise": 0.8, "confidence": 0.7, "child": "Марійка", "slot": "favorite_colors",
        "value": "жовтий"}
MONDAY = datetime(2025, 4, 7, 3, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def checkpointer(db: asyncpg.Pool) -> LatestCheckpointSaver:
    saver = LatestCheckpointSaver(db)
    await setup_checkpointer(saver)
    return saver


@pytest_asyncio.fixture
async def model(wire: Wire, db: asyncpg.Pool) -> AsyncIterator[tuple[Llm, Embed]]:
    client = AsyncOpenAI(api_key="sk-test-key-for-fake", base_url=wire.openai.url, max_retries=0)
    yield Llm(client, db, "gpt-4o-mini", {}), openai_embed(client, "text-embedding-3-small")
    await client.close()


async def remember(db: asyncpg.Pool, user: str, content: str, at: datetime) -> None:
    fact = ProposedFact(content=content, fact_type="preference", category="style", importance=0.8, surprise=0.9,
                        confidence=0.8)
    await store_facts(db, user, user, [Candidate(fact, embedding_of(content))], at, erasure_seen=None)


async def memory_rows(db: asyncpg.Pool, user: str) -> dict[str, int]:
    return {table: await db.fetchval(f"SELECT count(*) FROM {table} WHERE user_id = $1", user)
            for table in ("mirt_profiles", "mirt_memories", "mirt_memory_summaries")}


async def unmasked_traces(db: asyncpg.Pool, user: str) -> int:
    return await db.fetchval("SELECT count(*) FROM llm_traces WHERE session_id = $1 AND input_snapshot <> $2",
                             user, ERASED)


async def test_a_turn_the_model_answers_after_forget_recreates_nothing(
    wire: Wire, db: asyncpg.Pool, model: tuple[Llm, Embed], checkpointer: LatestCheckpointSaver
) -> None:
    llm, embed = model
    user = "6301"
    await remember(db, user, "Любить сукні з воланами", datetime.now(UTC))
    started = datetime.now(UTC)  # the turn starts; while its model call runs...
    counts = await forget_customer(db, checkpointer, user, user)  # ...the customer confirms /forget
    assert counts["facts"] == 1 and counts["profiles"] == 1
    wire.openai.script = lambda request: json.dumps({"bubbles": ["Гарний вибір!"], "facts": [GOOD]})
    await llm.chat(CallContext(uuid.uuid4(), user, int(user), "sales"),  # the answer comes after the erasure
                   [{"role": "user", "content": "Марійка любить жовтий"}])

    await remember_turn(db, embed, user, user, [GOOD], started)
    assert await memory_rows(db, user) == {"mirt_profiles": 0, "mirt_memories": 0, "mirt_memory_summaries": 0}
    assert await db.fetchval("SELECT count(*) FROM llm_traces WHERE session_id = $1", user) == 1
    assert await unmasked_traces(db, user) == 0  # the late call's trace carried the exchange's text

    # what the customer tells after the erasure is a new memory, kept as usual
    await remember_turn(db, embed, user, user, [GOOD], datetime.now(UTC))
    assert [r["content"] for r in await db.fetch("SELECT content FROM mirt_memories WHERE user_id = $1", user)] \
        == ["Марійка любить жовтий колір"]


async def test_a_weekly_summary_the_model_writes_after_forget_is_dropped(
    wire: Wire, db: asyncpg.Pool, model: tuple[Llm, Embed], checkpointer: LatestCheckpointSaver
) -> None:
    llm, _ = model
    user = "6303"
    await remember(db, user, "Любить сукні з воланами", MONDAY - timedelta(days=2))
    summary = {"summary_text": "Родина любить сукні з воланами.", "key_facts": ["сукні з воланами"]}
    wire.openai.script = lambda request: json.dumps(summary, ensure_ascii=False)
    wire.openai.gate.clear()
    sweep = asyncio.create_task(weekly_summaries(db, llm, MONDAY))
    await wire.openai.wait_for_requests(1)
    await forget_customer(db, checkpointer, user, user)
    wire.openai.gate.set()
    assert await sweep == 0
    assert await memory_rows(db, user) == {"mirt_profiles": 0, "mirt_memories": 0, "mirt_memory_summaries": 0}
    assert await unmasked_traces(db, user) == 0
