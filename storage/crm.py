"""The CRM order outbox in Postgres: orders on their way to Sitniks (`crm_orders`), their statuses and shipments,
and the CRM alerts sent once (`crm_alerts`). Chat statuses: storage.crm_chats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from models.orders import OrderStatus
from storage.handoffs import enqueue_text
from storage.orders import set_status


@dataclass(frozen=True)
class OutboxOrder:
    id: str
    order_id: int | None
    session_id: str
    external_id: str
    status: str
    attempts: int
    crm_order_id: str | None
    order_data: dict[str, Any]
    metadata: dict[str, Any]
    created_at: datetime  # when the order was handed to the outbox: no attempt is older


@dataclass(frozen=True)
class Shipment:
    id: str
    order_id: int
    session_id: str
    tracking: str | None


def _outbox(row: asyncpg.Record) -> OutboxOrder:
    return OutboxOrder(str(row["id"]), row["order_id"], row["session_id"], row["external_id"], row["status"],
                       row["attempts"], row["crm_order_id"], row["order_data"], row["metadata"],
                       row["created_at"])


# --- orders ---------------------------------------------------------------------------------------------------------

async def orders_to_send(pool: asyncpg.Pool, now: datetime, limit: int = 50) -> list[OutboxOrder]:
    rows = await pool.fetch(
        """SELECT * FROM crm_orders
           WHERE status IN ('pending', 'queued') AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
           ORDER BY created_at, id LIMIT $2""",
        now, limit,
    )
    return [_outbox(r) for r in rows]


async def claim_order(pool: asyncpg.Pool, outbox_id: str, retry_at: datetime) -> int | None:
    """Mark the order queued and count the attempt before it is sent (committed at once): a process killed while
    sending leaves it queued with the attempt counted, so the next try looks it up first. Returns the attempt."""
    attempt: int | None = await pool.fetchval(
        """UPDATE crm_orders SET status = 'queued', attempts = attempts + 1, next_attempt_at = $2, updated_at = now()
           WHERE id = $1 AND status IN ('pending', 'queued') RETURNING attempts""",
        outbox_id, retry_at,
    )
    return attempt


async def order_created(pool: asyncpg.Pool, outbox_id: str, crm_order_id: str, poll_at: datetime) -> None:
    await pool.execute(
        """UPDATE crm_orders SET status = 'created', crm_order_id = $2, error_message = NULL, next_attempt_at = $3,
                                 updated_at = now()
           WHERE id = $1 AND status = 'queued'""",
        outbox_id, crm_order_id, poll_at,
    )


async def order_retry(pool: asyncpg.Pool, outbox_id: str, reason: str, retry_at: datetime) -> None:
    await pool.execute(
        "UPDATE crm_orders SET error_message = $2, next_attempt_at = $3, updated_at = now() WHERE id = $1",
        outbox_id, reason, retry_at,
    )


async def order_failed(pool: asyncpg.Pool, outbox_id: str, reason: str) -> None:
    await pool.execute(
        """UPDATE crm_orders SET status = 'failed', error_message = $2, next_attempt_at = NULL, updated_at = now()
           WHERE id = $1""",
        outbox_id, reason,
    )


# --- order statuses -------------------------------------------------------------------------------------------------

async def orders_to_poll(pool: asyncpg.Pool, now: datetime, limit: int = 50) -> list[OutboxOrder]:
    rows = await pool.fetch(
        """SELECT * FROM crm_orders
           WHERE status IN ('created', 'processing', 'shipped') AND crm_order_id IS NOT NULL
             AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
           ORDER BY next_attempt_at NULLS FIRST, id LIMIT $2""",
        now, limit,
    )
    return [_outbox(r) for r in rows]


async def record_crm_status(pool: asyncpg.Pool, outbox: OutboxOrder, status: str, metadata: dict[str, Any],
                            order_status: OrderStatus | None, order_from: Sequence[OrderStatus],
                            poll_at: datetime | None) -> None:
    """The CRM's view of the order, in one transaction: the outbox row's status and metadata, and the order's own
    status when the CRM moved it (only from `order_from`, so a late poll never moves it back)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE crm_orders SET status = $2, metadata = metadata || $3::jsonb, next_attempt_at = $4,
                                     updated_at = now()
               WHERE id = $1""",
            outbox.id, status, metadata, poll_at,
        )
        if order_status is not None and outbox.order_id is not None:
            await set_status(conn, outbox.order_id, order_status, order_from)


async def shipments_to_announce(pool: asyncpg.Pool) -> list[Shipment]:
    rows = await pool.fetch(
        """SELECT c.id, c.order_id, o.session_id, c.metadata ->> 'tracking' AS tracking
           FROM crm_orders c JOIN orders o ON o.id = c.order_id
           WHERE c.status = 'shipped' AND c.shipped_notice_at IS NULL ORDER BY c.updated_at, c.id"""
    )
    return [Shipment(str(r["id"]), r["order_id"], r["session_id"], r["tracking"]) for r in rows]


async def claim_shipped_notice(pool: asyncpg.Pool, outbox_id: str, now: datetime) -> bool:
    """Claimed (committed) before the customer is told: at most once, even across a crash."""
    claimed = await pool.fetchval(
        "UPDATE crm_orders SET shipped_notice_at = $2 WHERE id = $1 AND shipped_notice_at IS NULL RETURNING id",
        outbox_id, now,
    )
    return claimed is not None


# --- chat statuses --------------------------------------------------------------------------------------------------

async def claim_alert(pool: asyncpg.Pool, key: str, text: str, now: datetime, tell_managers: bool) -> bool:
    """True for the first claim of `key` only. With `tell_managers` (ADMIN_CHAT_ID is set) the alert's `text` is
    queued for the managers' group in the same transaction, so it is queued exactly once, even across a crash;
    the queue's sender (outbound.desk) retries, follows a moved group and waits for one that refuses the bot."""
    async with pool.acquire() as conn, conn.transaction():
        claimed = await conn.fetchval(
            "INSERT INTO crm_alerts (key, reason, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key",
            key, text, now,
        )
        if claimed is not None and tell_managers:
            await enqueue_text(conn, None, text)
    return claimed is not None


async def alert_claimed(pool: asyncpg.Pool, key: str) -> bool:
    return bool(await pool.fetchval("SELECT EXISTS (SELECT 1 FROM crm_alerts WHERE key = $1)", key))


# --- the shop's order status ids ------------------------------------------------------------------------------------

async def learn_status_ids(pool: asyncpg.Pool, known: dict[str, tuple[str, str]], now: datetime) -> None:
    """Remember {CRM status id: (ours, its title)} for the statuses whose title the settings name right now."""
    await pool.executemany(
        """INSERT INTO crm_order_status_ids (crm_status_id, ours, title, seen_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (crm_status_id) DO UPDATE SET ours = EXCLUDED.ours, title = EXCLUDED.title,
                                                     seen_at = EXCLUDED.seen_at""",
        [(status_id, ours, title, now) for status_id, (ours, title) in known.items()],
    )


async def status_ids(pool: asyncpg.Pool) -> dict[str, str]:
    """{CRM status id: ours} as learned by `learn_status_ids`."""
    rows = await pool.fetch("SELECT crm_status_id, ours FROM crm_order_status_ids")
    return {r["crm_status_id"]: r["ours"] for r in rows}
