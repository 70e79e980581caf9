"""Where the managers' group is now (Telegram moves a group to a new id when it becomes a supergroup), and posts
into it that are not a customer's own message in human mode (a payment proof's file)."""

from __future__ import annotations

import asyncpg


async def current_id(pool: asyncpg.Pool, configured_id: int) -> int | None:
    """The id the group configured as `configured_id` moved to, or None when it never moved."""
    return await pool.fetchval("SELECT current_id FROM managers_chat_moves WHERE configured_id = $1", configured_id)


async def save_move(pool: asyncpg.Pool, configured_id: int, new_id: int) -> None:
    await pool.execute(
        """INSERT INTO managers_chat_moves (configured_id, current_id) VALUES ($1, $2)
           ON CONFLICT (configured_id) DO UPDATE SET current_id = EXCLUDED.current_id, moved_at = now()""",
        configured_id, new_id,
    )


async def enqueue_copy(pool: asyncpg.Pool, session_id: str, from_chat_id: int, message_id: int) -> None:
    """Queue a copy of the customer's message (with its file) for the managers' chat."""
    await pool.execute(
        "INSERT INTO managers_outbox (session_id, kind, payload) VALUES ($1, 'copy', $2)",
        session_id, {"from_chat_id": from_chat_id, "message_id": message_id},
    )
