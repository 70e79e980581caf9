"""What retention may forget: LangGraph checkpoints of finished chats beyond the latest, handled inbox rows, the
managers' queue once sent, and the prompt/answer snapshots of old LLM traces. Messages and orders are never
touched here."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg


async def finished_chats_with_history(pool: asyncpg.Pool, now: datetime, quiet_for: timedelta) -> list[str]:
    """Chats whose order completed, or that have been quiet for `quiet_for`, and that still keep more than one
    checkpoint (LangGraph's `checkpoints` table, thread_id = the chat)."""
    rows = await pool.fetch(
        """SELECT c.session_id FROM conversation_status c
           WHERE (c.order_completed OR c.last_message_at < $1::timestamptz - $2::interval)
             AND (SELECT count(*) FROM checkpoints k
                  WHERE k.thread_id = c.session_id AND k.checkpoint_ns = '') > 1
           ORDER BY c.session_id""",
        now, quiet_for,
    )
    return [r["session_id"] for r in rows]


async def drop_handled_updates(pool: asyncpg.Pool, handled_before: datetime) -> int:
    status = await pool.execute("DELETE FROM update_inbox WHERE handled_at < $1", handled_before)
    return int(status.split()[-1])


async def drop_done_managers_messages(pool: asyncpg.Pool, done_before: datetime) -> int:
    """The managers' queue keeps copies of customers' words and contact details: a row sent (or given up as
    undeliverable) before `done_before` goes. A manager's reply to so old a message no longer reaches the customer;
    /escalate with the customer's id still does."""
    status = await pool.execute(
        """DELETE FROM managers_outbox
           WHERE (sent_at IS NOT NULL OR error IS NOT NULL) AND coalesce(sent_at, created_at) < $1""",
        done_before,
    )
    return int(status.split()[-1])


async def clear_trace_snapshots(pool: asyncpg.Pool, created_before: datetime) -> int:
    """Prompts and answers may hold personal data: old traces keep their numbers (tokens, cost, latency) only."""
    status = await pool.execute(
        """UPDATE llm_traces SET input_snapshot = NULL, output_snapshot = NULL
           WHERE created_at < $1 AND (input_snapshot IS NOT NULL OR output_snapshot IS NOT NULL)""",
        created_before,
    )
    return int(status.split()[-1])


async def drop_erasure_marks(pool: asyncpg.Pool, erased_before: datetime) -> int:
    """An erasure mark only has to outlive the memory writes that were running when the customer was erased."""
    status = await pool.execute("DELETE FROM mirt_memory_erasures WHERE erased_at < $1", erased_before)
    return int(status.split()[-1])
