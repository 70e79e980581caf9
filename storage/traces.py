"""Observability rows: one `llm_traces` row per LLM call and its `llm_usage` line for billing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from storage.sanitize import clean

UNANSWERED = "SYSTEM"  # error_category of a call no answer came back to (an HTTP error, a timeout)


@dataclass(frozen=True)
class LlmCall:
    session_id: str | None
    user_id: int | None
    trace_id: UUID
    node_name: str
    state_name: str | None
    model_name: str
    status: str  # SUCCESS / ERROR / BLOCKED / ESCALATED
    error_category: str | None  # UNANSWERED, SAFETY, SCHEMA (llm.client)
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


# Insert parallel arrays of traces (parameters $n…$n+13, see `trace_arrays`) and their usage lines, as two
# data-modifying CTEs: a caller's statement embeds them, so a turn's answer and traces are one round trip.
def traces_cte(first: int) -> str:
    """The `traces AS (…), usage AS (…)` CTEs reading `trace_arrays` as parameters $first … $first+14."""
    p = [f"${first + i}" for i in range(15)]
    return f"""traces AS (
        INSERT INTO llm_traces (session_id, trace_id, node_name, state_name, input_snapshot, output_snapshot,
                                status, error_category, latency_ms, tokens_in, tokens_out, cost, model_name,
                                tokens_cached)
        SELECT t.session_id, t.trace_id, t.node_name, t.state_name, t.input_snapshot, t.output_snapshot,
               t.status::llm_trace_status, t.error_category::llm_error_category, t.latency_ms, t.tokens_in,
               t.tokens_out, t.cost, t.model_name, t.tokens_cached
        FROM unnest({p[0]}::text[], {p[1]}::uuid[], {p[2]}::text[], {p[3]}::text[], {p[4]}::jsonb[],
                    {p[5]}::jsonb[], {p[6]}::text[], {p[7]}::text[], {p[8]}::float8[], {p[9]}::int[],
                    {p[10]}::int[], {p[11]}::numeric[], {p[12]}::text[], {p[13]}::int[])
             AS t (session_id, trace_id, node_name, state_name, input_snapshot, output_snapshot, status,
                   error_category, latency_ms, tokens_in, tokens_out, cost, model_name, tokens_cached)),
    usage AS (
        INSERT INTO llm_usage (user_id, model, tokens_in, tokens_out, cost, tokens_cached)
        SELECT u.user_id, u.model, u.tokens_in, u.tokens_out, u.cost, u.tokens_cached
        FROM unnest({p[14]}::bigint[], {p[12]}::text[], {p[9]}::int[], {p[10]}::int[], {p[11]}::numeric[],
                    {p[13]}::int[]) AS u (user_id, model, tokens_in, tokens_out, cost, tokens_cached)
        WHERE u.tokens_in > 0 OR u.tokens_out > 0)"""


def trace_arrays(calls: Sequence[LlmCall]) -> list[list[Any]]:
    """The calls as the 15 parallel arrays `traces_cte` reads; characters Postgres refuses are removed from the
    snapshots."""
    columns: list[list[Any]] = [[] for _ in range(15)]
    for c in calls:
        row = (c.session_id, c.trace_id, c.node_name, c.state_name, clean(c.input_snapshot)[0],
               clean(c.output_snapshot)[0], c.status, c.error_category, c.latency_ms, c.tokens_in, c.tokens_out,
               c.cost, c.model_name, c.tokens_cached, c.user_id)
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


async def record_llm_calls(db: asyncpg.Pool | asyncpg.Connection, calls: Sequence[LlmCall]) -> None:
    """Store several traces and their usage lines in one statement (one transaction of its own, or the caller's)."""
    if calls:
        await db.execute(f"WITH {traces_cte(1)} SELECT 1", *trace_arrays(calls))


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
