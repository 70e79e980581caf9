"""LLM cost and tokens per model per day (`llm_usage_daily`), rolled up from the per-call `llm_usage` rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import asyncpg


@dataclass(frozen=True)
class DailyUsage:
    day: date
    model: str
    calls: int
    tokens_in: int
    tokens_out: int
    cost: Decimal


async def roll_up_usage(pool: asyncpg.Pool, until: datetime, timezone: str) -> int:
    """Rebuild the days from the last one rolled up (it may have been partial) to `until`; days are the shop's
    days in `timezone`. Rebuilding, not adding, makes a second run change nothing. Returns the rows written."""
    status = await pool.execute(
        """INSERT INTO llm_usage_daily AS d (day, model, calls, tokens_in, tokens_out, cost, updated_at)
           SELECT (u.created_at AT TIME ZONE $2)::date, u.model, count(*), sum(u.tokens_in), sum(u.tokens_out),
                  sum(u.cost), $1
           FROM llm_usage u
           WHERE u.created_at < $1
             AND u.created_at >= coalesce((SELECT max(day) FROM llm_usage_daily)::timestamp AT TIME ZONE $2,
                                          '-infinity')
           GROUP BY 1, 2
           ON CONFLICT (day, model) DO UPDATE
           SET calls = EXCLUDED.calls, tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out,
               cost = EXCLUDED.cost, updated_at = EXCLUDED.updated_at""",
        until, timezone,
    )
    return int(status.split()[-1])


async def daily_usage(pool: asyncpg.Pool, first: date, last: date) -> list[DailyUsage]:
    """The roll-up for the admins' reports: every model's day between `first` and `last`, inclusive."""
    rows = await pool.fetch(
        """SELECT day, model, calls, tokens_in, tokens_out, cost FROM llm_usage_daily
           WHERE day BETWEEN $1 AND $2 ORDER BY day, model""",
        first, last,
    )
    return [DailyUsage(**dict(r)) for r in rows]
