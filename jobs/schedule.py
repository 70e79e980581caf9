"""What runs when. Every job is a sweep `(now) -> counts`; adding one is one line in `shop_jobs`, e.g. once the
Memory and CRM issues land:

    Job("memory_decay", at_night(tz, 2), lambda now: decay_memories(pool, now)),
    Job("memory_summaries", at_night(tz, 4, day_of_week="sun"), lambda now: summarise_week(pool, now)),
    Job("crm_sync", every(settings.crm_sync_interval), lambda now: sync_orders(pool, sitniks, now)),
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import asyncpg
from aiogram import Bot
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from bot.settings import Settings
from bot.shop import Shop
from jobs.followups import FollowupRules, Followups
from jobs.retention import Retention
from jobs.scheduler import Job
from jobs.usage import UsageRollUp


def every(interval: timedelta) -> IntervalTrigger:
    """Every `interval`, each run shifted by up to a tenth of it (at most 30 s) so processes do not fire in step."""
    seconds = interval.total_seconds()
    return IntervalTrigger(seconds=seconds, jitter=min(seconds / 10, 30))


def at_night(timezone: ZoneInfo, hour: int, day_of_week: str = "*") -> CronTrigger:
    """At `hour` o'clock shop time (a few minutes' jitter), daily or on the given days."""
    return CronTrigger(day_of_week=day_of_week, hour=hour, timezone=timezone, jitter=300)


def shop_jobs(settings: Settings, pool: asyncpg.Pool, bot: Bot, shop: Shop, saver: AsyncPostgresSaver) -> list[Job]:
    tz = ZoneInfo(settings.shop_timezone)
    followups = Followups(pool, bot, shop, FollowupRules.from_settings(settings))
    retention = Retention(pool, saver, settings.inbox_retention, settings.trace_retention,
                          settings.checkpoint_retention)
    usage = UsageRollUp(pool, settings.shop_timezone)
    return [
        Job("followups", every(settings.followup_scan_interval), followups.sweep),
        Job("retention", at_night(tz, 3), retention.sweep),
        Job("llm_usage", CronTrigger(minute=5, timezone=tz, jitter=60), usage.sweep),
    ]
