"""Handoffs to humans, the managers' chat outbox and its forum topics, order cards: plain SQL over asyncpg."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class Handoff:
    session_id: str
    reason: str
    taken_by: int | None
    taken_by_name: str | None
    started_at: datetime


@dataclass(frozen=True)
class Outgoing:
    """One row of the managers' outbox waiting to be sent."""

    id: int
    session_id: str | None
    kind: str
    payload: dict[str, Any]


def _handoff(row: asyncpg.Record | None) -> Handoff | None:
    if row is None:
        return None
    return Handoff(row["session_id"], row["reason"], row["taken_by"], row["taken_by_name"], row["started_at"])


async def open_handoff(pool: asyncpg.Pool, session_id: str) -> Handoff | None:
    return _handoff(await pool.fetchrow(
        "SELECT * FROM handoffs WHERE session_id = $1 AND released_at IS NULL", session_id))


async def start_handoff(pool: asyncpg.Pool, session_id: str, reason: str, by: int | None, by_name: str | None,
                        now: datetime) -> bool:
    """Put the chat in human mode; False when it already was. A manager taking a chat the agent handed over
    becomes the one who handles it."""
    async with pool.acquire() as conn, conn.transaction():
        started = await conn.fetchval(
            """INSERT INTO handoffs (session_id, reason, taken_by, taken_by_name, started_at)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (session_id) WHERE released_at IS NULL DO NOTHING RETURNING id""",
            session_id, reason, by, by_name, now,
        )
        if started is None:
            if by is not None:
                await conn.execute(
                    """UPDATE handoffs SET taken_by = $2, taken_by_name = $3
                       WHERE session_id = $1 AND released_at IS NULL AND taken_by IS NULL""",
                    session_id, by, by_name,
                )
            return False
        await conn.execute(
            """INSERT INTO agent_sessions (session_id, human_since) VALUES ($1, $2)
               ON CONFLICT (session_id) DO UPDATE SET human_since = $2""",
            session_id, now,
        )
    return True


async def end_handoff(pool: asyncpg.Pool, session_id: str, by: int, now: datetime) -> datetime | None:
    """Return the chat to the AI; the handoff's start, or None when the chat was not in human mode."""
    async with pool.acquire() as conn, conn.transaction():
        started = await conn.fetchval(
            """UPDATE handoffs SET released_at = $3, released_by = $2
               WHERE session_id = $1 AND released_at IS NULL RETURNING started_at""",
            session_id, by, now,
        )
        await conn.execute("UPDATE agent_sessions SET human_since = NULL WHERE session_id = $1", session_id)
    return started


async def claim_realerts(pool: asyncpg.Pool, waited_since: datetime, now: datetime) -> list[Handoff]:
    """Open handoffs no manager answered since `waited_since`, each claimed once for a second alert."""
    rows = await pool.fetch(
        """UPDATE handoffs SET realerted_at = $2
           WHERE released_at IS NULL AND realerted_at IS NULL AND manager_replied_at IS NULL
             AND started_at <= $1
           RETURNING *""",
        waited_since, now,
    )
    return [h for h in map(_handoff, rows) if h is not None]


async def human_part(pool: asyncpg.Pool, session_id: str, since: datetime) -> list[asyncpg.Record]:
    """What the customer and the managers said while the chat was in human mode, in order."""
    return await pool.fetch(
        """SELECT id, role, content FROM messages
           WHERE session_id = $1 AND created_at >= $2 AND ('human_mode' = ANY(tags) OR 'manager' = ANY(tags))
           ORDER BY created_at, id""",
        session_id, since,
    )


async def last_messages(pool: asyncpg.Pool, session_id: str, limit: int) -> list[asyncpg.Record]:
    rows = await pool.fetch(
        """SELECT role, content FROM messages WHERE session_id = $1 AND role IN ('user', 'assistant')
           ORDER BY created_at DESC, id DESC LIMIT $2""",
        session_id, limit,
    )
    return list(reversed(rows))


async def customer_facts(pool: asyncpg.Pool, session_id: str) -> asyncpg.Record | None:
    """Who the customer is and where the dialog stands, for a card."""
    return await pool.fetchrow(
        """SELECT s.session_id, coalesce(s.state, '{}'::jsonb) AS state, u.first_name, u.last_name, u.username
           FROM (SELECT $1::text AS session_id) k
           LEFT JOIN agent_sessions s ON s.session_id = k.session_id
           LEFT JOIN users u ON u.external_id = k.session_id""",
        session_id,
    )


async def known_session(pool: asyncpg.Pool, session_id: str) -> bool:
    return bool(await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE session_id = $1) OR EXISTS "
        "(SELECT 1 FROM agent_sessions WHERE session_id = $1)", session_id))


# --- the managers' outbox -------------------------------------------------------------------------------------

async def enqueue_text(pool: asyncpg.Pool | asyncpg.Connection, session_id: str | None, text: str,
                       buttons: list[list[dict[str, str]]] | None = None) -> None:
    await pool.execute(
        "INSERT INTO managers_outbox (session_id, kind, payload) VALUES ($1, 'text', $2)",
        session_id, {"text": text, "buttons": buttons or []},
    )


async def mirror_customer(pool: asyncpg.Pool, session_id: str, user_id: str, content: str, update_id: int,
                          kind: str, payload: dict[str, Any]) -> None:
    """Keep the customer's message in the conversation and queue it for the managers (a 'copy' of the message or a
    'text' about it), both once however often the turn is replayed."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO messages (session_id, user_id, role, content, tags, update_id)
               VALUES ($1, $2, 'user', $3, '{human_mode}', $4)
               ON CONFLICT (update_id, role) WHERE update_id IS NOT NULL DO NOTHING""",
            session_id, user_id, content, update_id,
        )
        await conn.execute(
            """INSERT INTO managers_outbox (session_id, kind, payload, update_id) VALUES ($1, $2, $3, $4)
               ON CONFLICT (update_id) DO NOTHING""",
            session_id, kind, payload, update_id,
        )


async def record_manager_message(pool: asyncpg.Pool, session_id: str, manager_id: int, content: str,
                                 update_id: int, now: datetime) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO messages (session_id, user_id, role, content, tags, update_id)
               VALUES ($1, $2, 'assistant', $3, '{manager}', $4)
               ON CONFLICT (update_id, role) WHERE update_id IS NOT NULL DO NOTHING""",
            session_id, str(manager_id), content, update_id,
        )
        await conn.execute(
            "UPDATE handoffs SET manager_replied_at = $2 WHERE session_id = $1 AND released_at IS NULL",
            session_id, now,
        )


async def pending_outgoing(pool: asyncpg.Pool, limit: int = 50) -> list[Outgoing]:
    rows = await pool.fetch(
        """SELECT id, session_id, kind, payload FROM managers_outbox
           WHERE sent_at IS NULL AND error IS NULL ORDER BY id LIMIT $1""",
        limit,
    )
    return [Outgoing(r["id"], r["session_id"], r["kind"], r["payload"]) for r in rows]


async def mark_sent(pool: asyncpg.Pool, outgoing_id: int, managers_message_id: int, now: datetime) -> None:
    await pool.execute(
        "UPDATE managers_outbox SET sent_at = $3, managers_message_id = $2 WHERE id = $1",
        outgoing_id, managers_message_id, now,
    )


async def mark_undeliverable(pool: asyncpg.Pool, outgoing_id: int, error: str) -> None:
    await pool.execute("UPDATE managers_outbox SET error = $2 WHERE id = $1", outgoing_id, error)


async def session_of_managers_message(pool: asyncpg.Pool, managers_message_id: int) -> str | None:
    return await pool.fetchval(
        "SELECT session_id FROM managers_outbox WHERE managers_message_id = $1 AND session_id IS NOT NULL LIMIT 1",
        managers_message_id,
    )


async def latest_managers_message(pool: asyncpg.Pool, session_id: str) -> int | None:
    """The customer's newest message in the managers' chat: the next one about them replies to it (a thread)."""
    return await pool.fetchval(
        """SELECT managers_message_id FROM managers_outbox
           WHERE session_id = $1 AND managers_message_id IS NOT NULL ORDER BY id DESC LIMIT 1""",
        session_id,
    )


async def topic_of(pool: asyncpg.Pool, session_id: str) -> int | None:
    return await pool.fetchval("SELECT thread_id FROM manager_topics WHERE session_id = $1", session_id)


async def session_of_topic(pool: asyncpg.Pool, thread_id: int) -> str | None:
    return await pool.fetchval("SELECT session_id FROM manager_topics WHERE thread_id = $1", thread_id)


async def save_topic(pool: asyncpg.Pool, session_id: str, thread_id: int) -> None:
    await pool.execute(
        "INSERT INTO manager_topics (session_id, thread_id) VALUES ($1, $2) ON CONFLICT (session_id) DO NOTHING",
        session_id, thread_id,
    )


# --- order cards ----------------------------------------------------------------------------------------------

async def claim_new_order_cards(pool: asyncpg.Pool, session_id: str) -> list[int]:
    """Orders of this chat that have no card yet, each claimed for one."""
    rows = await pool.fetch(
        """INSERT INTO order_cards (order_id)
           SELECT id FROM orders WHERE session_id = $1 ORDER BY id
           ON CONFLICT (order_id) DO NOTHING RETURNING order_id""",
        session_id,
    )
    return [r["order_id"] for r in rows]


async def claim_paid_notice(pool: asyncpg.Pool, order_id: int, by: int, now: datetime) -> bool:
    moved = await pool.fetchval(
        """INSERT INTO order_cards (order_id, paid_notice_at, decided_by) VALUES ($1, $2, $3)
           ON CONFLICT (order_id) DO UPDATE SET paid_notice_at = $2, decided_by = $3
           WHERE order_cards.paid_notice_at IS NULL RETURNING order_id""",
        order_id, now, by,
    )
    return moved is not None
