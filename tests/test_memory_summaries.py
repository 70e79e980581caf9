"""The weekly summary: one model call per customer whose facts changed that week; the new summary replaces the
old one and the prompt carries it; a failed call leaves the old summary current."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest_asyncio
from openai import AsyncOpenAI

from llm.client import Llm
from memory.facts import Candidate, ProposedFact, store_facts
from memory.retrieve import memory_for_prompt
from memory.summaries import weekly_summaries
from tests.fakes.openai_api import embedding_of
from tests.harness import Wire

MONDAY = datetime(2025, 4, 7, 3, 0, tzinfo=UTC)


async def embed(texts: list[str]) -> list[list[float]]:
    return [embedding_of(t) for t in texts]


async def remember(db: asyncpg.Pool, user: str, content: str, at: datetime) -> None:
    fact = ProposedFact(content=content, fact_type="preference", category="style", importance=0.8, surprise=0.9,
                        confidence=0.8)
    await store_facts(db, user, user, [Candidate(fact, embedding_of(content))], at, erasure_seen=None)


@pytest_asyncio.fixture
async def llm(wire: Wire, db: asyncpg.Pool) -> AsyncIterator[Llm]:
    client = AsyncOpenAI(api_key="sk-test-key-for-fake", base_url=wire.openai.url, max_retries=0)
    yield Llm(client, db, "gpt-4o-mini", {})
    await client.close()


def summary(text: str, *key_facts: str) -> str:
    return json.dumps({"summary_text": text, "key_facts": list(key_facts)}, ensure_ascii=False)


async def test_a_weekly_summary_replaces_the_old_one_and_reaches_the_prompt(
    wire: Wire, db: asyncpg.Pool, llm: Llm
) -> None:
    user, quiet = "9201", "9202"
    await remember(db, user, "Любить сукні з воланами", MONDAY - timedelta(days=2))
    await remember(db, quiet, "Любить кеди", MONDAY - timedelta(days=30))  # not active this week
    wire.openai.script = lambda request: summary("Родина любить сукні з воланами.", "сукні з воланами")

    assert await weekly_summaries(db, llm, MONDAY) == 1
    assert await weekly_summaries(db, llm, MONDAY) == 0  # run twice: nobody is summarised twice
    first = wire.openai.requests[0]
    assert "Любить сукні з воланами" in first["messages"][-1]["content"]
    assert first["response_format"]["json_schema"]["name"] == "customer_summary"

    await remember(db, user, "Шукає теплий комбінезон на зиму", MONDAY + timedelta(days=3))
    wire.openai.script = lambda request: summary("Любить волани; шукає теплий комбінезон на зиму.",
                                                 "волани", "теплий комбінезон")
    next_monday = MONDAY + timedelta(days=7)
    assert await weekly_summaries(db, llm, next_monday) == 1

    rows = await db.fetch("""SELECT summary_text, key_facts, facts_count, is_current FROM mirt_memory_summaries
                             WHERE user_id = $1 ORDER BY id""", user)
    assert [(r["is_current"], r["facts_count"]) for r in rows] == [(False, 1), (True, 2)]
    assert rows[1]["key_facts"] == ["волани", "теплий комбінезон"]
    prompt = await memory_for_prompt(db, user, "Що є на зиму?", embed, now=next_monday)
    assert "шукає теплий комбінезон на зиму." in prompt and "Родина любить сукні" not in prompt
    traces = await db.fetch("SELECT node_name, session_id FROM llm_traces WHERE node_name = 'memory_summary'")
    assert {t["session_id"] for t in traces} == {user}
    assert await db.fetchval("SELECT count(*) FROM mirt_memory_summaries WHERE user_id = $1", quiet) == 0


async def test_a_failed_summary_keeps_the_previous_one(wire: Wire, db: asyncpg.Pool, llm: Llm) -> None:
    user = "9203"
    await remember(db, user, "Любить джинси", MONDAY - timedelta(days=1))
    wire.openai.script = lambda request: summary("Любить джинси.", "джинси")
    assert await weekly_summaries(db, llm, MONDAY) == 1
    await remember(db, user, "Носить окуляри", MONDAY + timedelta(days=1))
    wire.openai.script = lambda request: "Вибачте, не можу"
    assert await weekly_summaries(db, llm, MONDAY + timedelta(days=7)) == 0
    current = await db.fetch("SELECT summary_text FROM mirt_memory_summaries WHERE user_id = $1 AND is_current",
                             user)
    assert [r["summary_text"] for r in current] == ["Любить джинси."]
