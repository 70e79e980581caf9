"""Customers' questions the shop's knowledge did not cover (`unanswered_questions`), for /questions."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def record_unanswered(pool: asyncpg.Pool, user_id: str, session_id: str, question: str) -> None:
    """Keep the customer's question as they wrote it (it is erased with them on /forget)."""
    await pool.execute("INSERT INTO unanswered_questions (user_id, session_id, question) VALUES ($1, $2, $3)",
                       user_id, session_id, question)


async def unanswered_since(pool: asyncpg.Pool, since: datetime) -> list[str]:
    """The questions asked from `since` (tz-aware) on, oldest first."""
    rows = await pool.fetch("SELECT question FROM unanswered_questions WHERE asked_at >= $1 ORDER BY id", since)
    return [row["question"] for row in rows]
