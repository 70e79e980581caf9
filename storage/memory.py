"""Customer memory in Postgres: profiles (`mirt_profiles`), facts (`mirt_memories`), summaries
(`mirt_memory_summaries`). Every query names one customer's user_id except the daily and weekly sweeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool

_FACT_COLUMNS = """id, user_id, content, fact_type, category, importance, surprise, confidence, decay_rate,
                   child_key, slot, slot_value, is_active, created_at, last_confirmed_at"""


@dataclass(frozen=True)
class NewFact:
    user_id: str
    session_id: str | None
    content: str
    fact_type: str
    category: str
    importance: float
    surprise: float
    confidence: float
    decay_rate: float
    embedding: Sequence[float] | None
    child_key: str
    slot: str | None
    slot_value: str | None
    value_key: str
    at: datetime


# --- profiles ----------------------------------------------------------------------------------------------------

async def lock_customer(conn: asyncpg.Connection, user_id: str) -> None:
    """Serialise memory writes of one customer (two background turns may finish together) and their erasure,
    until commit."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('mirt_memory:' || $1, 0))", user_id)


async def erasure_mark(db: Executor, user_id: str) -> datetime | None:
    """When this customer was last erased (None: not recently). A memory write reads it before its model call and
    passes it to `erased_since` under the lock: /forget confirmed in between must win over the write."""
    return await db.fetchval("SELECT erased_at FROM mirt_memory_erasures WHERE user_id = $1", user_id)


async def erased_since(conn: asyncpg.Connection, user_id: str, seen: datetime | None) -> bool:
    """Whether the customer was erased after the mark `seen` was read; call it holding `lock_customer`, so no
    erasure can commit between this check and the write."""
    return await erasure_mark(conn, user_id) != seen


async def load_profile(db: Executor, user_id: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        """SELECT user_id, child_profile, style_preferences, logistics, commerce, completeness_score
           FROM mirt_profiles WHERE user_id = $1""", user_id)


async def ensure_profile(conn: asyncpg.Connection, user_id: str) -> asyncpg.Record:
    await conn.execute("INSERT INTO mirt_profiles (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING", user_id)
    row = await load_profile(conn, user_id)
    assert row is not None
    return row


async def save_profile(conn: asyncpg.Connection, user_id: str, columns: dict[str, Any]) -> None:
    await conn.execute(
        """UPDATE mirt_profiles SET child_profile = $2, style_preferences = $3, logistics = $4, commerce = $5,
                                    completeness_score = $6, updated_at = now()
           WHERE user_id = $1""",
        user_id, columns["child_profile"], columns["style_preferences"], columns["logistics"],
        columns["commerce"], columns["completeness_score"],
    )


async def order_history(conn: asyncpg.Connection, user_id: str) -> asyncpg.Record:
    """Orders count, the last order's time and the average check (NUMERIC), cancelled orders left out."""
    return await conn.fetchrow(
        """SELECT count(*) AS orders_count, max(created_at) AS last_order_at,
                  round(avg(total_amount), 2) AS average_check
           FROM orders WHERE user_id = $1 AND status <> 'cancelled'""", user_id)


# --- facts -------------------------------------------------------------------------------------------------------

async def active_slot_fact(conn: asyncpg.Connection, user_id: str, child_key: str, slot: str,
                           value_key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {_FACT_COLUMNS} FROM mirt_memories
            WHERE user_id = $1 AND child_key = $2 AND slot = $3 AND value_key = $4 AND is_active""",
        user_id, child_key, slot, value_key)


async def nearest_free_fact(conn: asyncpg.Connection, user_id: str, child_key: str,
                            embedding: Sequence[float]) -> asyncpg.Record | None:
    """The most similar active fact of the same child (or of the family) that fills no slot, with its cosine
    similarity."""
    return await conn.fetchrow(
        f"""SELECT {_FACT_COLUMNS}, 1 - (embedding <=> $3) AS similarity FROM mirt_memories
            WHERE user_id = $1 AND child_key = $2 AND slot IS NULL AND is_active AND embedding IS NOT NULL
            ORDER BY embedding <=> $3 LIMIT 1""",
        user_id, child_key, embedding)


async def insert_fact(conn: asyncpg.Connection, fact: NewFact) -> UUID:
    return await conn.fetchval(
        """INSERT INTO mirt_memories (user_id, session_id, content, fact_type, category, importance, surprise,
                                      confidence, decay_rate, embedding, child_key, slot, slot_value, value_key,
                                      created_at, updated_at, last_confirmed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $15) RETURNING id""",
        fact.user_id, fact.session_id, fact.content, fact.fact_type, fact.category, fact.importance, fact.surprise,
        fact.confidence, fact.decay_rate, fact.embedding, fact.child_key, fact.slot, fact.slot_value,
        fact.value_key, fact.at,
    )


async def reinforce_fact(conn: asyncpg.Connection, fact_id: UUID, importance: float, confidence: float,
                         at: datetime) -> None:
    """Heard again: keep the higher importance, raise the confidence (either source could be right), and restart
    the decay clock."""
    await conn.execute(
        """UPDATE mirt_memories
           SET importance = GREATEST(importance, $2::float8), confidence = 1 - (1 - confidence) * (1 - $3::float8),
               last_confirmed_at = GREATEST(last_confirmed_at, $4), updated_at = $4
           WHERE id = $1""",
        fact_id, importance, confidence, at)


async def retire_facts(conn: asyncpg.Connection, fact_ids: Sequence[UUID], at: datetime) -> None:
    """Make room for a slot's new value (one active fact per slot); `link_superseded` then points them at it."""
    await conn.execute("UPDATE mirt_memories SET is_active = false, updated_at = $2 WHERE id = ANY($1::uuid[])",
                       list(fact_ids), at)


async def link_superseded(conn: asyncpg.Connection, fact_ids: Sequence[UUID], new_id: UUID) -> None:
    """The old facts stay for history, inactive, pointing at what replaced them."""
    await conn.execute("UPDATE mirt_memories SET superseded_by = $2 WHERE id = ANY($1::uuid[])",
                       list(fact_ids), new_id)


async def move_child_facts(conn: asyncpg.Connection, user_id: str, old_key: str, new_key: str) -> None:
    await conn.execute("UPDATE mirt_memories SET child_key = $3 WHERE user_id = $1 AND child_key = $2",
                       user_id, old_key, new_key)


# One customer's active facts, scored; $1 user_id, $2 query vector or NULL, $3 time, $4 limit, $5 focus child keys.
# A constant so that the memory benchmark can EXPLAIN exactly what runs.
SEARCH_FACTS_SQL = f"""SELECT *, similarity * (0.5 + 0.5 * effective_importance)
                      * (0.8 + 0.2 * exp(-GREATEST(date_part('epoch', $3 - last_confirmed_at), 0) / 2592000))
                      * CASE WHEN cardinality($5::text[]) = 0 OR child_key = '' OR child_key = ANY($5::text[])
                             THEN 1 ELSE 0.5 END
                      AS score
            FROM (SELECT {_FACT_COLUMNS},
                         mirt_effective_importance(importance, decay_rate, fact_type, last_confirmed_at, $3)
                             AS effective_importance,
                         CASE WHEN $2::vector IS NULL OR embedding IS NULL THEN 1
                              ELSE GREATEST(1 - (embedding <=> $2::vector), 0) END AS similarity
                  FROM mirt_memories WHERE user_id = $1 AND is_active) AS facts
            ORDER BY score DESC, last_confirmed_at DESC LIMIT $4"""


async def search_facts(db: Executor, user_id: str, embedding: Sequence[float] | None, at: datetime,
                       limit: int, focus: Sequence[str] = ()) -> list[asyncpg.Record]:
    """One customer's active facts ranked by similarity × effective importance × recency.

    Exact search: the partial btree on user_id finds the customer's few hundred facts (a bitmap scan of their
    pages, the vectors stored in the row) and the distance is computed for each, then a top-N sort; no
    approximate index, so no recall is lost. Float arithmetic throughout (date_part, not EXTRACT's numeric).
    Without a query vector, similarity is 1. Importance weighs half (a current height told months ago must still
    win over a sibling's fresh one), recency gives a fact confirmed today up to 25% more than one confirmed months
    ago, and when the query names some children (`focus`, their keys) the other children's facts count half.
    """
    return await db.fetch(SEARCH_FACTS_SQL, user_id, embedding, at, limit, list(focus))


async def constraint_facts(db: Executor, user_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        f"""SELECT {_FACT_COLUMNS} FROM mirt_memories
            WHERE user_id = $1 AND is_active AND fact_type = 'constraint'
            ORDER BY importance DESC, last_confirmed_at DESC""", user_id)


async def deactivate_faded(db: Executor, floor: float, at: datetime) -> int:
    """Deactivate the facts whose effective importance fell below `floor`; only those rows are written."""
    status = await db.execute(
        """UPDATE mirt_memories SET is_active = false, updated_at = $2
           WHERE is_active AND fact_type <> 'constraint' AND decay_rate > 0
             AND mirt_effective_importance(importance, decay_rate, fact_type, last_confirmed_at, $2) < $1""",
        floor, at)
    return int(status.split()[-1])


# --- summaries ---------------------------------------------------------------------------------------------------

async def current_summary(db: Executor, user_id: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        """SELECT summary_text, key_facts, facts_count, created_at FROM mirt_memory_summaries
           WHERE user_id = $1 AND summary_type = 'user' AND is_current""", user_id)


async def customers_to_summarise(db: Executor, since: datetime, at: datetime) -> list[str]:
    """Customers whose facts changed in [since, at) and whose current summary (if any) is older than that change:
    running the weekly job twice summarises nobody twice."""
    rows = await db.fetch(
        """SELECT m.user_id FROM mirt_memories m
           LEFT JOIN mirt_memory_summaries s ON s.user_id = m.user_id AND s.summary_type = 'user' AND s.is_current
           WHERE m.last_confirmed_at >= $1 AND m.last_confirmed_at < $2
           GROUP BY m.user_id, s.created_at
           HAVING s.created_at IS NULL OR s.created_at < max(m.last_confirmed_at)
           ORDER BY m.user_id""", since, at)
    return [r["user_id"] for r in rows]


async def replace_summary(pool: asyncpg.Pool, user_id: str, text: str, key_facts: list[str], facts_count: int,
                          at: datetime, *, erasure_seen: datetime | None) -> bool:
    """Make this the customer's current summary; False (nothing written) when the customer was erased since
    `erasure_seen` was read, or has no profile any more."""
    async with pool.acquire() as conn, conn.transaction():
        await lock_customer(conn, user_id)
        if await erased_since(conn, user_id, erasure_seen) or await load_profile(conn, user_id) is None:
            return False
        await conn.execute(
            """UPDATE mirt_memory_summaries SET is_current = false
               WHERE user_id = $1 AND summary_type = 'user' AND is_current""", user_id)
        await conn.execute(
            """INSERT INTO mirt_memory_summaries (user_id, summary_type, summary_text, key_facts, facts_count,
                                                  is_current, created_at)
               VALUES ($1, 'user', $2, $3, $4, true, $5)""", user_id, text, key_facts, facts_count, at)
    return True
