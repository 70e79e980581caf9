"""The durable update inbox: an update is stored before it is handled and marked when its turn is done."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import asyncpg

MAX_ATTEMPTS = 3


class Arrival(enum.Enum):
    NEW = "new"          # first time we see this update
    PENDING = "pending"  # stored earlier, its turn never finished (crash, shutdown)
    HANDLED = "handled"  # already answered: never again


async def record(pool: asyncpg.Pool, update_id: int, chat_id: int | None, payload: dict[str, Any]) -> Arrival:
    row = await pool.fetchrow(
        """WITH inserted AS (
               INSERT INTO update_inbox (update_id, chat_id, payload) VALUES ($1, $2, $3)
               ON CONFLICT (update_id) DO NOTHING
               RETURNING true AS new)
           SELECT (SELECT new FROM inserted) AS new,
                  (SELECT handled_at IS NOT NULL FROM update_inbox WHERE update_id = $1) AS handled""",
        update_id, chat_id, payload,
    )
    if row["new"]:
        return Arrival.NEW
    return Arrival.HANDLED if row["handled"] else Arrival.PENDING


async def start_attempt(pool: asyncpg.Pool, update_ids: Sequence[int]) -> None:
    await pool.execute(
        "UPDATE update_inbox SET attempts = attempts + 1 WHERE update_id = ANY($1::bigint[])", list(update_ids)
    )


async def mark_handled(pool: asyncpg.Pool, update_ids: Sequence[int]) -> None:
    await pool.execute(
        "UPDATE update_inbox SET handled_at = now() WHERE update_id = ANY($1::bigint[])", list(update_ids)
    )


async def give_up_exhausted(pool: asyncpg.Pool) -> list[int]:
    """Updates that failed MAX_ATTEMPTS times are closed with an error instead of crashing every start."""
    rows = await pool.fetch(
        """UPDATE update_inbox SET handled_at = now(), error = 'gave up after repeated failures'
           WHERE handled_at IS NULL AND attempts >= $1 RETURNING update_id""",
        MAX_ATTEMPTS,
    )
    return [r["update_id"] for r in rows]


async def pending(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT payload FROM update_inbox WHERE handled_at IS NULL ORDER BY update_id")
    return [r["payload"] for r in rows]
