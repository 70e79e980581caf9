"""The daily LLM usage roll-up: cost and tokens per model per shop day (Kyiv), the same however often it runs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg

from jobs.usage import UsageRollUp
from storage.usage import DailyUsage, daily_usage

KYIV = ZoneInfo("Europe/Kyiv")


async def call(db: asyncpg.Pool, model: str, when: datetime, tokens_in: int, tokens_out: int, cost: str) -> None:
    await db.execute("INSERT INTO llm_usage (user_id, model, tokens_in, tokens_out, cost, created_at) "
                     "VALUES (1, $1, $2, $3, $4, $5)", model, tokens_in, tokens_out, Decimal(cost), when)


async def test_usage_is_summed_per_model_per_kyiv_day_and_a_rerun_changes_nothing(db: asyncpg.Pool) -> None:
    roll_up = UsageRollUp(db, "Europe/Kyiv")
    await call(db, "gpt-4o-mini", datetime(2026, 3, 9, 23, 30, tzinfo=KYIV), 1000, 200, "0.000270")
    await call(db, "gpt-4o-mini", datetime(2026, 3, 10, 0, 30, tzinfo=KYIV), 2000, 100, "0.000360")  # same UTC day
    await call(db, "gpt-4o-mini", datetime(2026, 3, 10, 12, 0, tzinfo=KYIV), 500, 50, "0.000105")
    await call(db, "gpt-4o", datetime(2026, 3, 10, 12, 5, tzinfo=KYIV), 1000, 100, "0.003500")

    await roll_up.sweep(datetime(2026, 3, 10, 13, tzinfo=KYIV))
    await roll_up.sweep(datetime(2026, 3, 10, 13, 5, tzinfo=KYIV))

    assert await daily_usage(db, date(2026, 3, 9), date(2026, 3, 10)) == [
        DailyUsage(date(2026, 3, 9), "gpt-4o-mini", 1, 1000, 200, Decimal("0.000270")),
        DailyUsage(date(2026, 3, 10), "gpt-4o", 1, 1000, 100, Decimal("0.003500")),
        DailyUsage(date(2026, 3, 10), "gpt-4o-mini", 2, 2500, 150, Decimal("0.000465")),
    ]


async def test_calls_later_in_the_day_update_that_day(db: asyncpg.Pool) -> None:
    roll_up = UsageRollUp(db, "Europe/Kyiv")
    await call(db, "gpt-4o-mini", datetime(2026, 4, 2, 9, tzinfo=KYIV), 100, 10, "0.000021")
    await roll_up.sweep(datetime(2026, 4, 2, 10, tzinfo=KYIV))
    await call(db, "gpt-4o-mini", datetime(2026, 4, 2, 20, tzinfo=KYIV), 100, 10, "0.000021")
    await call(db, "gpt-4o-mini", datetime(2026, 4, 3, 1, tzinfo=KYIV), 100, 10, "0.000021")
    await roll_up.sweep(datetime(2026, 4, 3, 2, tzinfo=KYIV))
    days = await daily_usage(db, date(2026, 4, 2), date(2026, 4, 3))
    assert [(d.day, d.calls, d.tokens_in, d.cost) for d in days] == [
        (date(2026, 4, 2), 2, 200, Decimal("0.000042")), (date(2026, 4, 3), 1, 100, Decimal("0.000021"))]
