"""/forget: erase everything personal the bot keeps about one customer, and say what was removed."""

from __future__ import annotations

import asyncpg
import structlog
from langgraph.checkpoint.base import BaseCheckpointSaver

from storage.erasure import erase_customer
from storage.memory import lock_customer

log = structlog.get_logger(__name__)


async def forget_customer(pool: asyncpg.Pool, checkpointer: BaseCheckpointSaver, user_id: str,
                          session_id: str) -> dict[str, int]:
    """Remove the customer's profile, facts, summaries, messages, session state, raw inbox updates, Telegram
    identity and LangGraph checkpoints; mask their traces and the name and phone on their orders.

    Returns counts by kind (facts, summaries, profiles, messages, sessions, inbox, users, traces, orders,
    checkpoints). Safe to repeat: a second call finds nothing and reports zeros.
    """
    async with pool.acquire() as conn, conn.transaction():
        await lock_customer(conn, user_id)  # a memory write of this customer in flight finishes first
        counts = await erase_customer(conn, user_id, session_id)
    config = {"configurable": {"thread_id": session_id}}
    counts["checkpoints"] = len([c async for c in checkpointer.alist(config)])
    await checkpointer.adelete_thread(session_id)
    log.info("customer_forgotten", **counts)
    return counts
