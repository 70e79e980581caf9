"""Customers as Telegram knows them (`users`) and their conversation rows (`agent_sessions`, `messages`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from storage.sanitize import clean_text

Executor = asyncpg.Pool | asyncpg.Connection  # a connection: inside the caller's transaction


async def store_customer(
    pool: asyncpg.Pool, external_id: str, username: str | None, first_name: str | None,
    last_name: str | None, language_code: str | None, session_id: str | None,
) -> tuple[bool, list[str]]:
    """Keep the `users` row as Telegram describes the person now (written only when something changed; a blocked
    mark is cleared, since they wrote); return whether the chat `session_id` is with a manager (an open handoff;
    False for None) and the recipient name and city its dialog recorded (agent_sessions.state metadata; the log
    lines of the turn hide them). One statement: every customer turn needs all of it, before anything else."""
    row = await pool.fetchrow(
        """WITH stored AS (
               INSERT INTO users (external_id, username, first_name, last_name, language_code)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (external_id) DO UPDATE
               SET username = EXCLUDED.username, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                   language_code = EXCLUDED.language_code, blocked_at = NULL, updated_at = now()
               WHERE (users.username, users.first_name, users.last_name, users.language_code, users.blocked_at)
                     IS DISTINCT FROM (EXCLUDED.username, EXCLUDED.first_name, EXCLUDED.last_name,
                                       EXCLUDED.language_code, NULL))
           SELECT EXISTS (SELECT 1 FROM handoffs WHERE session_id = $6 AND released_at IS NULL) AS handoff_open,
                  (SELECT ARRAY[state #>> '{metadata,customer_name}', state #>> '{metadata,customer_city}']
                   FROM agent_sessions WHERE session_id = $6) AS recorded""",
        external_id, username, first_name, last_name, language_code, session_id,
    )
    return row["handoff_open"], [name for name in row["recorded"] or () if name]


async def save_session_state(db: Executor, session_id: str, state: dict[str, Any]) -> None:
    await db.execute(
        """INSERT INTO agent_sessions (session_id, state) VALUES ($1, $2)
           ON CONFLICT (session_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()""",
        session_id, state,
    )


async def add_message(
    db: Executor, session_id: str, user_id: str | None, role: str, content: str,
    update_id: int | None = None, tags: Sequence[str] = (),
) -> None:
    """Store one side of an exchange; the same update's message is stored once even when a turn is replayed."""
    await db.execute(
        """INSERT INTO messages (session_id, user_id, role, content, tags, update_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (update_id, role) WHERE update_id IS NOT NULL DO NOTHING""",
        session_id, user_id, role, clean_text(content), list(tags), update_id,
    )


async def mark_blocked(pool: asyncpg.Pool, external_id: str) -> None:
    await pool.execute("UPDATE users SET blocked_at = now(), updated_at = now() WHERE external_id = $1", external_id)
