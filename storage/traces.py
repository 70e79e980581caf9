"""Observability rows: one `llm_traces` row per LLM call and its `llm_usage` line for billing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg


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


async def record_llm_call(pool: asyncpg.Pool, call: LlmCall) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO llm_traces (session_id, trace_id, node_name, state_name, input_snapshot, output_snapshot,
                                       status, error_category, latency_ms, tokens_in, tokens_out, cost, model_name)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
            call.session_id, call.trace_id, call.node_name, call.state_name, call.input_snapshot,
            call.output_snapshot, call.status, call.error_category, call.latency_ms, call.tokens_in,
            call.tokens_out, call.cost, call.model_name,
        )
        if call.tokens_in or call.tokens_out:
            await conn.execute(
                "INSERT INTO llm_usage (user_id, model, tokens_in, tokens_out, cost) VALUES ($1, $2, $3, $4, $5)",
                call.user_id, call.model_name, call.tokens_in, call.tokens_out, call.cost,
            )


async def turns_since(pool: asyncpg.Pool, session_id: str, hours: int = 1) -> int:
    """How many turns of this chat reached the model in the last `hours` (a turn is one trace_id)."""
    return await pool.fetchval(
        """SELECT count(DISTINCT trace_id) FROM llm_traces
           WHERE session_id = $1 AND created_at > now() - make_interval(hours => $2)""",
        session_id, hours,
    )
