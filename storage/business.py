"""Telegram Business connections and the customer chats reached through them: plain SQL over asyncpg."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class Connection:
    """A business connection as last reported by Telegram. `usable`: the bot may write to customers through it."""

    id: str
    owner_id: int
    owner_name: str
    is_enabled: bool
    can_reply: bool
    alerted: bool

    @property
    def usable(self) -> bool:
        return self.is_enabled and self.can_reply


@dataclass(frozen=True)
class BusinessChat:
    chat_id: int
    connection: Connection
    opened_by_customer: bool


def _connection(row: asyncpg.Record) -> Connection:
    return Connection(row["id"], row["owner_id"], row["owner_name"], row["is_enabled"], row["can_reply"],
                      row["alerted_at"] is not None)


async def save_connection(pool: asyncpg.Pool, connection: Connection) -> Connection | None:
    """Store what Telegram says now; returns the connection as it was before (None when it is new)."""
    async with pool.acquire() as conn, conn.transaction():
        before = await conn.fetchrow("SELECT * FROM business_connections WHERE id = $1 FOR UPDATE", connection.id)
        await conn.execute(
            """INSERT INTO business_connections (id, owner_id, owner_name, is_enabled, can_reply)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (id) DO UPDATE SET owner_id = $2, owner_name = $3, is_enabled = $4, can_reply = $5,
                                              updated_at = now()""",
            connection.id, connection.owner_id, connection.owner_name, connection.is_enabled, connection.can_reply,
        )
    return _connection(before) if before is not None else None


async def connection(pool: asyncpg.Pool, connection_id: str) -> Connection | None:
    row = await pool.fetchrow("SELECT * FROM business_connections WHERE id = $1", connection_id)
    return _connection(row) if row is not None else None


async def claim_alert(pool: asyncpg.Pool, connection_id: str, now: datetime) -> bool:
    """True once per outage: the caller tells the managers; False when they were already told."""
    return await pool.fetchval(
        """UPDATE business_connections SET alerted_at = $2 WHERE id = $1 AND alerted_at IS NULL RETURNING true""",
        connection_id, now,
    ) is not None


async def clear_alert(pool: asyncpg.Pool, connection_id: str) -> bool:
    """The connection works again; True when the managers had been told it did not."""
    return await pool.fetchval(
        "UPDATE business_connections SET alerted_at = NULL WHERE id = $1 AND alerted_at IS NOT NULL RETURNING true",
        connection_id,
    ) is not None


async def bind_chat(pool: asyncpg.Pool, chat_id: int, connection_id: str, opened_by_customer: bool) -> None:
    """The chat is reached through this connection from now on; who opened it is kept from the first message."""
    await pool.execute(
        """INSERT INTO business_chats (chat_id, connection_id, opened_by_customer) VALUES ($1, $2, $3)
           ON CONFLICT (chat_id) DO UPDATE SET connection_id = $2""",
        chat_id, connection_id, opened_by_customer,
    )


async def unbind_chat(pool: asyncpg.Pool, chat_id: int) -> None:
    """The customer wrote to the bot itself: replies go to the bot chat again."""
    await pool.execute("DELETE FROM business_chats WHERE chat_id = $1", chat_id)


async def linked_chats(pool: asyncpg.Pool) -> dict[int, str]:
    """Every chat reached through a connection: chat id → connection id."""
    rows = await pool.fetch("SELECT chat_id, connection_id FROM business_chats")
    return {r["chat_id"]: r["connection_id"] for r in rows}


async def chat(pool: asyncpg.Pool, chat_id: int) -> BusinessChat | None:
    row = await pool.fetchrow(
        """SELECT c.*, b.chat_id, b.opened_by_customer FROM business_chats b
           JOIN business_connections c ON c.id = b.connection_id WHERE b.chat_id = $1""",
        chat_id,
    )
    return BusinessChat(row["chat_id"], _connection(row), row["opened_by_customer"]) if row is not None else None


async def owner_quiet_since(pool: asyncpg.Pool, session_id: str, owner_id: int) -> datetime | None:
    """When the account owner last wrote in a chat they took over by typing (the handoff's start if they have not
    written since); None when the chat is not in human mode or someone else holds it."""
    return await pool.fetchval(
        """SELECT coalesce(manager_replied_at, started_at) FROM handoffs
           WHERE session_id = $1 AND released_at IS NULL AND taken_by = $2""",
        session_id, owner_id,
    )

