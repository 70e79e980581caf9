"""Observability rows: one `llm_traces` row per LLM call and its `llm_usage` line for billing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from storage.sanitize import clean


@dataclass(frozen=True)
class LlmCall:
    session_id: str | None
    user_id: int | None
    trace_id: UUID
    node_name: str
    state_name: str | None
    model_name: str
    status: str  # SUCCESS / ERROR / BLOCKED / ESCALATED
    error_category: str | None
    latency_ms: float
    tokens_in: int
    tokens_out: int
    cost: Decimal
    input_snapshot: Any
    output_snapshot: Any
    tokens_cached: int = 0  # of tokens_in, served from the provider's prompt cache


async def record_llm_call(conn: asyncpg.Connection, call: LlmCall) -> None:
    """Store the trace and its usage line (call it inside the caller's transaction); characters Postgres refuses
    are removed from the snapshots."""
    await record_llm_calls(conn, [call])


async def record_llm_calls(conn: asyncpg.Connection, calls: Sequence[LlmCall]) -> None:
    """Store several traces and their usage lines, two pipelined statements whatever their number (call it inside
    the caller's transaction); characters Postgres refuses are removed from the snapshots."""
    if not calls:
        return
    await conn.executemany(
        """INSERT INTO llm_traces (session_id, trace_id, node_name, state_name, input_snapshot, output_snapshot,
                                   status, error_category, latency_ms, tokens_in, tokens_out, cost, model_name,
                                   tokens_cached)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)""",
        [(c.session_id, c.trace_id, c.node_name, c.state_name, clean(c.input_snapshot)[0],
          clean(c.output_snapshot)[0], c.status, c.error_category, c.latency_ms, c.tokens_in, c.tokens_out, c.cost,
          c.model_name, c.tokens_cached) for c in calls],
    )
    used = [c for c in calls if c.tokens_in or c.tokens_out]
    if used:
        await conn.executemany(
            """INSERT INTO llm_usage (user_id, model, tokens_in, tokens_out, cost, tokens_cached)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [(c.user_id, c.model_name, c.tokens_in, c.tokens_out, c.cost, c.tokens_cached) for c in used],
        )


async def rewrite_snapshots(db: asyncpg.Pool | asyncpg.Connection, trace_id: UUID,
                            rewrite: Callable[[Any], Any]) -> int:
    """Apply `rewrite` to the snapshots of one turn's traces (words learnt later in the turn are hidden in its
    earlier calls too); returns how many rows changed."""
    changed = 0
    for row in await db.fetch("SELECT id, input_snapshot, output_snapshot FROM llm_traces WHERE trace_id = $1",
                              trace_id):
        new_in, new_out = rewrite(row["input_snapshot"]), rewrite(row["output_snapshot"])
        if (new_in, new_out) != (row["input_snapshot"], row["output_snapshot"]):
            await db.execute("UPDATE llm_traces SET input_snapshot = $2, output_snapshot = $3 WHERE id = $1",
                             row["id"], new_in, new_out)
            changed += 1
    return changed


async def recorded_names(db: asyncpg.Pool | asyncpg.Connection, session_id: str | None) -> list[str]:
    """What the chat's customer is called and where they receive parcels, as recorded so far: their Telegram name
    and the dialog's recipient name and city (agent_sessions.state metadata); [] for no session."""
    if session_id is None:
        return []
    row = await db.fetchrow(
        """SELECT u.first_name, u.last_name, s.state #>> '{metadata,customer_name}' AS customer_name,
                  s.state #>> '{metadata,customer_city}' AS customer_city
           FROM (SELECT $1::text AS id) k
           LEFT JOIN users u ON u.external_id = k.id
           LEFT JOIN agent_sessions s ON s.session_id = k.id""",
        session_id,
    )
    return [v for v in row.values() if v]
