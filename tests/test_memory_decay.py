"""Forgetting with simulated days: a preference fades below the floor and the daily job deactivates it; an
allergy never fades; a fact heard again starts fading anew; the sweep writes only the rows that crossed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from memory.decay import decay_sweep
from memory.facts import Candidate, ProposedFact, store_facts
from memory.retrieve import memory_for_prompt
from storage.memory import search_facts
from tests.fakes.openai_api import embedding_of

START = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


async def embed(texts: list[str]) -> list[list[float]]:
    return [embedding_of(t) for t in texts]


def candidate(content: str, fact_type: str, importance: float = 0.8) -> Candidate:
    fact = ProposedFact(content=content, fact_type=fact_type, category="style", importance=importance,
                        surprise=0.9, confidence=0.8)
    return Candidate(fact, embedding_of(content))


async def test_a_preference_fades_and_is_deactivated_while_an_allergy_stays(db: asyncpg.Pool) -> None:
    user = "9101"
    await store_facts(db, user, user, [candidate("Любить сукні з воланами", "preference"),
                                       candidate("Алергія на вовну", "constraint", importance=1.0),
                                       candidate("Просить знижку на кожне замовлення", "behavior")], START,
                      erasure_seen=None)
    await store_facts(db, user, user, [candidate("Любить піжами з динозаврами", "preference")],
                      START + timedelta(days=90), erasure_seen=None)  # heard later: its clock starts then

    month = START + timedelta(days=30)
    ranked = {r["content"]: r["effective_importance"] for r in await search_facts(db, user, None, month, 10)}
    assert 0.55 < ranked["Любить сукні з воланами"] < 0.6  # 0.8 × 0.99³⁰ computed when read
    assert ranked["Алергія на вовну"] == 1.0
    assert await decay_sweep(db, month) == 0  # faded a little, still above the floor: nothing is written

    # behaviour fades fastest: 0.8 × 0.98^69 < 0.3
    assert await decay_sweep(db, START + timedelta(days=70)) == 1
    before = {r["content"]: r["updated_at"] for r in await db.fetch(
        "SELECT content, updated_at FROM mirt_memories WHERE user_id = $1 AND is_active", user)}

    later = START + timedelta(days=120)  # 0.8 × 0.99¹²⁰ = 0.24 < floor
    assert await decay_sweep(db, later) == 1
    assert await decay_sweep(db, later) == 0  # the same day again: nothing new crossed
    rows = {r["content"]: r for r in await db.fetch(
        "SELECT content, is_active, updated_at FROM mirt_memories WHERE user_id = $1", user)}
    assert rows["Любить сукні з воланами"]["is_active"] is False
    assert rows["Алергія на вовну"]["is_active"] is True
    assert rows["Любить піжами з динозаврами"]["is_active"] is True
    assert rows["Алергія на вовну"]["updated_at"] == before["Алергія на вовну"]  # untouched rows not rewritten

    prompt = await memory_for_prompt(db, user, "Що порадите з одягу?", embed, now=later)
    assert "Алергія на вовну" in prompt and "динозаврами" in prompt and "воланами" not in prompt
    years = START + timedelta(days=3650)
    assert [r["effective_importance"] for r in await search_facts(db, user, None, years, 10)
            if r["content"] == "Алергія на вовну"] == [1.0]


async def test_a_fact_heard_again_starts_fading_anew(db: asyncpg.Pool) -> None:
    user = "9102"
    await store_facts(db, user, user, [candidate("Любить комбінезони", "preference")], START,
                      erasure_seen=None)
    await store_facts(db, user, user, [candidate("Любить комбінезони", "preference")], START + timedelta(days=80),
                      erasure_seen=None)
    assert await decay_sweep(db, START + timedelta(days=120)) == 0
    assert await db.fetchval("SELECT count(*) FROM mirt_memories WHERE user_id = $1 AND is_active", user) == 1
