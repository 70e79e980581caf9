"""The CRM chat outbox in Postgres: chat statuses on their way to Sitniks (`crm_chat_statuses`), derived from the
dialogs, and the chat mappings (`sitniks_chat_mappings`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

# Phases of the sales dialog (agent_sessions.state ->> 'dialog_phase') that mean the requisites were shown.
INVOICED_PHASES = ("WAITING_FOR_PAYMENT_PROOF", "COMPLETED")
ESCALATED_PHASE = "ESCALATED"


@dataclass(frozen=True)
class ChatStatus:
    id: int
    session_id: str
    kind: str  # taken / invoiced / attention
    attempts: int
    due: bool
    username: str | None
    sitniks_chat_id: str | None


async def derive_chat_statuses(pool: asyncpg.Pool, now: datetime, since: datetime) -> int:
    """Add the chat statuses the conversations call for: every private chat active since `since` was taken into
    work, one whose requisites were shown was invoiced, one escalated or handled by a manager needs attention."""
    result = await pool.execute(
        """INSERT INTO crm_chat_statuses (session_id, kind, created_at)
           SELECT s.session_id, k.kind, $1 FROM agent_sessions s
           CROSS JOIN LATERAL (VALUES
               ('taken', true),
               ('invoiced', coalesce(s.state ->> 'dialog_phase' = ANY($3::text[]), false)),
               ('attention', s.human_since IS NOT NULL OR coalesce(s.state ->> 'dialog_phase' = $4, false))
           ) AS k(kind, wanted)
           WHERE k.wanted AND s.session_id !~ '^-' AND (s.updated_at >= $2 OR s.human_since >= $2)
           ON CONFLICT (session_id, kind) DO NOTHING""",
        now, since, list(INVOICED_PHASES), ESCALATED_PHASE,
    )
    return int(result.split()[-1])


async def mark_for_attention(pool: asyncpg.Pool | asyncpg.Connection, session_id: str, now: datetime) -> None:
    """The managers were alerted about this chat: its CRM chat should say so too (after being taken into work)."""
    await pool.execute(
        """INSERT INTO crm_chat_statuses (session_id, kind, created_at) VALUES ($1, 'taken', $2), ($1, 'attention', $2)
           ON CONFLICT (session_id, kind) DO NOTHING""",
        session_id, now,
    )


async def pending_chat_statuses(pool: asyncpg.Pool, now: datetime) -> list[ChatStatus]:
    """Every pending chat status, per chat in the order to push them: taken first, then as they arose."""
    rows = await pool.fetch(
        """SELECT c.id, c.session_id, c.kind, c.attempts, (c.next_attempt_at IS NULL OR c.next_attempt_at <= $1) AS due,
                  u.username, m.sitniks_chat_id
           FROM crm_chat_statuses c
           LEFT JOIN users u ON u.external_id = c.session_id
           LEFT JOIN LATERAL (SELECT sitniks_chat_id FROM sitniks_chat_mappings
                              WHERE user_id = c.session_id AND sitniks_chat_id IS NOT NULL
                              ORDER BY updated_at DESC LIMIT 1) m ON true
           WHERE c.state = 'pending'
           ORDER BY c.session_id, c.kind <> 'taken', c.created_at, c.id""",
        now,
    )
    return [ChatStatus(r["id"], r["session_id"], r["kind"], r["attempts"], r["due"], r["username"],
                       r["sitniks_chat_id"]) for r in rows]


async def chat_status_done(pool: asyncpg.Pool, status_id: int, now: datetime) -> None:
    await pool.execute("UPDATE crm_chat_statuses SET state = 'done', done_at = $2, error = NULL WHERE id = $1",
                       status_id, now)


async def chat_status_skipped(pool: asyncpg.Pool, status_id: int, now: datetime, reason: str) -> None:
    await pool.execute("UPDATE crm_chat_statuses SET state = 'skipped', done_at = $2, error = $3 WHERE id = $1",
                       status_id, now, reason)


async def chat_status_retry(pool: asyncpg.Pool, status_id: int, reason: str, retry_at: datetime) -> None:
    await pool.execute(
        "UPDATE crm_chat_statuses SET attempts = attempts + 1, error = $2, next_attempt_at = $3 WHERE id = $1",
        status_id, reason, retry_at,
    )


async def save_chat_mapping(pool: asyncpg.Pool, session_id: str, username: str, sitniks_chat_id: str,
                            now: datetime) -> None:
    await pool.execute(
        """INSERT INTO sitniks_chat_mappings (user_id, telegram_username, sitniks_chat_id, first_touch_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (sitniks_chat_id) DO UPDATE
           SET user_id = EXCLUDED.user_id, telegram_username = EXCLUDED.telegram_username, updated_at = now()""",
        session_id, username, sitniks_chat_id, now,
    )


async def chat_mapping_changed(pool: asyncpg.Pool, sitniks_chat_id: str, status: str, manager_id: int | None) -> None:
    await pool.execute(
        """UPDATE sitniks_chat_mappings
           SET current_status = $2, sitniks_manager_id = coalesce($3, sitniks_manager_id), updated_at = now()
           WHERE sitniks_chat_id = $1""",
        sitniks_chat_id, status, manager_id,
    )


# --- alerts ---------------------------------------------------------------------------------------------------------
