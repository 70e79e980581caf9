"""Follow-ups: which chats went silent after the bot spoke, and the durable claim that makes each follow-up (and
each managers' alert) go out at most once, however many sweeps run or restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from storage.crm_chats import mark_for_attention
from storage.handoffs import enqueue_text


@dataclass(frozen=True)
class SilentChat:
    session_id: str
    state: dict[str, Any]
    customer_id: str | None
    customer_message_id: int  # the silence is counted from this message
    customer_at: datetime
    customer_name: str | None
    last_nudge: int  # how many nudges of this silence were claimed (the highest sequence), 0 for none
    last_nudge_at: datetime | None
    alerted: bool


async def silent_chats(pool: asyncpg.Pool, now: datetime, silent_for: timedelta, horizon: timedelta) -> list[SilentChat]:
    """Chats where the bot spoke last and the customer has written nothing for at least `silent_for` (but less than
    `horizon`), leaving out finished orders, chats a manager handles and customers who blocked the bot."""
    rows = await pool.fetch(
        """SELECT c.session_id, c.state, c.customer_id, c.last_customer_message_id, c.last_customer_at,
                  nullif(concat_ws(' ', u.first_name, u.last_name), '') AS full_name, u.username,
                  coalesce(nudge.sequence, 0) AS last_nudge, nudge.claimed_at AS last_nudge_at,
                  EXISTS (SELECT 1 FROM followups a
                          WHERE a.session_id = c.session_id AND a.after_message_id = c.last_customer_message_id
                            AND a.kind = 'alert') AS alerted
           FROM conversation_status c
           LEFT JOIN users u ON u.external_id = c.session_id
           LEFT JOIN LATERAL (
               SELECT f.sequence, f.claimed_at FROM followups f
               WHERE f.session_id = c.session_id AND f.after_message_id = c.last_customer_message_id
                 AND f.kind = 'nudge'
               ORDER BY f.sequence DESC LIMIT 1
           ) nudge ON true
           WHERE c.last_speaker = 'assistant'
             AND c.last_customer_at <= $1::timestamptz - $2::interval
             AND c.last_customer_at > $1::timestamptz - $3::interval
             AND c.human_since IS NULL
             AND NOT c.order_completed
             AND u.blocked_at IS NULL
           ORDER BY c.last_customer_at, c.session_id""",
        now, silent_for, horizon,
    )
    return [
        SilentChat(
            session_id=r["session_id"], state=r["state"] or {}, customer_id=r["customer_id"],
            customer_message_id=r["last_customer_message_id"], customer_at=r["last_customer_at"],
            customer_name=r["full_name"] or (f"@{r['username']}" if r["username"] else None),
            last_nudge=r["last_nudge"], last_nudge_at=r["last_nudge_at"], alerted=r["alerted"],
        )
        for r in rows
    ]


async def claim(
    pool: asyncpg.Pool, chat: SilentChat, kind: str, sequence: int, template: str, now: datetime,
) -> int | None:
    """Claim one follow-up before sending it; None when it was already claimed (by another sweep, or before a
    crash). The claim commits on its own, so a process killed after this point never sends it again."""
    followup_id: int | None = await pool.fetchval(
        """INSERT INTO followups (session_id, after_message_id, kind, sequence, template, claimed_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (session_id, after_message_id, kind, sequence) DO NOTHING
           RETURNING id""",
        chat.session_id, chat.customer_message_id, kind, sequence, template, now,
    )
    return followup_id


async def claim_alert(pool: asyncpg.Pool, chat: SilentChat, template: str, text: str, now: datetime) -> bool:
    """Claim the managers' alert about this silence and queue `text` for their group, in one transaction: False
    when it was claimed before (another sweep, or before a restart), so it is queued exactly once. The row is
    'sent' from the moment it is queued: delivery is the queue's (`managers_outbox`, drained by
    outbound.desk, which retries, follows a moved group and waits for one that refuses the bot). The CRM chat
    is marked for attention in the same transaction (the CRM sync pushes it)."""
    async with pool.acquire() as conn, conn.transaction():
        claimed = await conn.fetchval(
            """INSERT INTO followups (session_id, after_message_id, kind, sequence, template, claimed_at, sent_at,
                                      outcome)
               VALUES ($1, $2, 'alert', 1, $3, $4, $4, 'sent')
               ON CONFLICT (session_id, after_message_id, kind, sequence) DO NOTHING
               RETURNING id""",
            chat.session_id, chat.customer_message_id, template, now,
        )
        if claimed is None:
            return False
        await enqueue_text(conn, chat.session_id, text)
        await mark_for_attention(conn, chat.session_id, now)
    return True


async def record_sent(
    pool: asyncpg.Pool, followup_id: int, chat: SilentChat, text: str, tags: list[str], sent_at: datetime,
) -> None:
    """The nudge went out: keep it in the conversation (tagged, so analytics can count it and attribute the reply)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO messages (session_id, user_id, role, content, tags, created_at)
               VALUES ($1, $2, 'assistant', $3, $4, $5)""",
            chat.session_id, chat.customer_id, text, tags, sent_at,
        )
        await conn.execute("UPDATE followups SET sent_at = $2, outcome = 'sent' WHERE id = $1", followup_id, sent_at)


async def record_outcome(pool: asyncpg.Pool, followup_id: int, outcome: str, error: str | None = None) -> None:
    """How a claimed nudge ended when it was not stored in the chat: 'blocked' or 'failed' (`error` says why)."""
    await pool.execute("UPDATE followups SET outcome = $2, error = $3 WHERE id = $1", followup_id, outcome, error)


async def record_failure(pool: asyncpg.Pool, chat: SilentChat, at: datetime, error: str) -> None:
    """A chat whose follow-up failed before it was claimed (its state unreadable, say): a failed row in place of
    its next nudge, so the sweep does not fail on it again until the customer writes or a later delay passes."""
    await pool.execute(
        """INSERT INTO followups (session_id, after_message_id, kind, sequence, template, claimed_at, outcome, error)
           VALUES ($1, $2, 'nudge', $3, '-', $4, 'failed', $5)
           ON CONFLICT (session_id, after_message_id, kind, sequence) DO UPDATE
           SET outcome = 'failed', error = EXCLUDED.error""",
        chat.session_id, chat.customer_message_id, chat.last_nudge + 1, at, error,
    )
