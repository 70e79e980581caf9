"""The durable update inbox: an update is stored before it is handled and marked when its turn is done.

`attempts` is how many times an update was the first in its chat to be handed to a turn: once when it arrives
(counted as it is stored; a getUpdates answer is stored whole, so an update a shutdown cut off before its turn
counts that try too) and once more each time a start replays it as its chat's oldest unfinished update (counted
as it is read for the replay). Only an update whose turn never finished is ever replayed, so a turn that
finishes costs no statement for counting, and one that keeps crashing the process is given up after MAX_ATTEMPTS
tries, while the messages queued behind it in its chat wait for their own.
"""

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
    QUARANTINED = "quarantined"  # Postgres refused it even cleaned: set aside with the reason, never handled


async def record(pool: asyncpg.Pool, update_id: int, chat_id: int | None, payload: dict[str, Any],
                 note: str | None = None) -> Arrival:
    """Store an update once, as handed to its first turn (attempts 1). `note` says what was removed from it to make
    it storable (state 'sanitised'). Raises asyncpg/OS errors as they come: the caller tells an outage from a
    refused value."""
    return (await record_arrivals(pool, [(update_id, chat_id, payload, note)]))[update_id]


async def record_arrivals(pool: asyncpg.Pool, updates: Sequence[tuple[int, int | None, dict[str, Any], str | None]]
                          ) -> dict[int, Arrival]:
    """Store updates as `record` does, all in one statement: (update_id, chat_id, payload, note) each; returns how
    each arrived. One value Postgres refuses fails them all (nothing is stored)."""
    rows = await pool.fetch(
        """WITH inserted AS (
               INSERT INTO update_inbox (update_id, chat_id, payload, state, note, attempts)
               SELECT u.update_id, u.chat_id, u.payload, CASE WHEN u.note IS NULL THEN 'stored' ELSE 'sanitised' END,
                      u.note, 1
               FROM unnest($1::bigint[], $2::bigint[], $3::jsonb[], $4::text[]) AS u (update_id, chat_id, payload, note)
               ON CONFLICT (update_id) DO NOTHING
               RETURNING update_id)
           SELECT u.update_id, u.update_id IN (SELECT update_id FROM inserted) AS new,
                  coalesce(i.handled_at IS NOT NULL, false) AS handled
           FROM unnest($1::bigint[]) AS u (update_id) LEFT JOIN update_inbox i USING (update_id)""",
        [u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates], [u[3] for u in updates],
    )
    return {r["update_id"]: Arrival.NEW if r["new"] else Arrival.HANDLED if r["handled"] else Arrival.PENDING
            for r in rows}


async def quarantine(pool: asyncpg.Pool, update_id: int, chat_id: int | None, reason: str) -> bool:
    """Set an update aside that cannot be stored even cleaned: only its ids and the reason are kept, handled at
    once so that no start replays it. False when it was already there (set aside or stored before)."""
    status = await pool.execute(
        """INSERT INTO update_inbox (update_id, chat_id, payload, state, error, handled_at)
           VALUES ($1, $2, '{}'::jsonb, 'quarantined', $3, now())
           ON CONFLICT (update_id) DO NOTHING""",
        update_id, chat_id, reason,
    )
    return status.endswith(" 1")


async def close_refused(pool: asyncpg.Pool, update_ids: Sequence[int], reason: str) -> None:
    """A turn that failed on a value Postgres refuses fails the same way every time: it is closed with the
    reason instead of being replayed at every start."""
    await pool.execute(
        "UPDATE update_inbox SET handled_at = now(), error = $2 WHERE update_id = ANY($1::bigint[])",
        list(update_ids), reason,
    )


async def mark_handled(pool: asyncpg.Pool, update_ids: Sequence[int]) -> None:
    await pool.execute(
        "UPDATE update_inbox SET handled_at = now() WHERE update_id = ANY($1::bigint[])", list(update_ids)
    )


async def give_up_exhausted(pool: asyncpg.Pool) -> list[int]:
    """Updates handed to MAX_ATTEMPTS turns that never finished are closed with an error instead of crashing every
    start; returns their update ids. Run before `pending`."""
    rows = await pool.fetch(
        """UPDATE update_inbox SET handled_at = now(), error = 'gave up after repeated failures'
           WHERE handled_at IS NULL AND attempts >= $1 RETURNING update_id""",
        MAX_ATTEMPTS,
    )
    return [r["update_id"] for r in rows]


async def pending(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The updates whose turns never finished, oldest first, for a replay. Each chat's oldest one, the first its
    lane hands to a turn, is counted as one more attempt in the same statement; the ones behind it are counted
    when they come first, so a message that waited behind a turn crashing every start is not given up with it.
    Returns their payloads (Telegram's Update as JSON)."""
    rows = await pool.fetch(
        """WITH first AS (
               SELECT DISTINCT ON (chat_id) update_id FROM update_inbox WHERE handled_at IS NULL
               ORDER BY chat_id, update_id),
           counted AS (
               UPDATE update_inbox SET attempts = attempts + 1 WHERE update_id IN (SELECT update_id FROM first))
           SELECT payload FROM update_inbox WHERE handled_at IS NULL ORDER BY update_id""")
    return [r["payload"] for r in rows]
