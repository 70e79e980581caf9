"""/forget: erase everything personal the bot keeps about one customer, and say what was removed."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import structlog
from langgraph.checkpoint.base import BaseCheckpointSaver

from storage.erasure import erase_customer, mask_traces
from storage.memory import erasure_mark, lock_customer

log = structlog.get_logger(__name__)


async def forget_customer(pool: asyncpg.Pool, checkpointer: BaseCheckpointSaver, user_id: str,
                          session_id: str) -> dict[str, int]:
    """Remove the customer's profile, facts, summaries, messages, session state, unanswered questions, raw inbox
    updates, Telegram identity and LangGraph checkpoints; mask their traces and the name and phone on their orders.

    Returns counts by kind (facts, summaries, profiles, messages, sessions, questions, inbox, users, traces, orders,
    checkpoints). Safe to repeat: a second call finds nothing and reports zeros.
    """
    async with pool.acquire() as conn, conn.transaction():
        # A memory write already writing finishes first; one still waiting on the model finds the erasure mark
        # changed when it takes this lock, and drops its facts.
        await lock_customer(conn, user_id)
        counts = await erase_customer(conn, user_id, session_id)
    config = {"configurable": {"thread_id": session_id}}
    counts["checkpoints"] = len([c async for c in checkpointer.alist(config)])
    await checkpointer.adelete_thread(session_id)
    log.info("customer_forgotten", **counts)
    return counts


async def erased_meanwhile(pool: asyncpg.Pool, user_id: str, session_id: str, erasure_seen: datetime | None) -> bool:
    """After a memory write's model call: whether the customer was erased since `erasure_seen` was read. If so, the
    call's trace, written when the call ended and so after the erasure masked the others, is masked too."""
    if await erasure_mark(pool, user_id) == erasure_seen:
        return False
    await mask_traces(pool, session_id, user_id)
    return True
