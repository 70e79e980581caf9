"""What runs when. Every job is a sweep `(now) -> counts`; adding one is one line in `shop_jobs`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import asyncpg
from aiogram import Bot
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from langgraph.checkpoint.base import BaseCheckpointSaver

from config.settings import Settings
from config.shop import Shop
from crm.client import SitniksClient
from crm.sync import crm_sweep
from jobs.followups import FollowupRules, Followups
from jobs.handoff_realert import HandoffRealert
from jobs.retention import Retention
from jobs.scheduler import Job, Sweep
from jobs.usage import UsageRollUp
from llm.client import Llm
from memory.decay import decay_sweep
from memory.summaries import weekly_summaries
from outbound.texts import load_admin_texts


def every(interval: timedelta) -> IntervalTrigger:
    """Every `interval`, each run shifted by up to a tenth of it (at most 30 s) so processes do not fire in step."""
    seconds = interval.total_seconds()
    return IntervalTrigger(seconds=seconds, jitter=min(seconds / 10, 30))


def at_night(timezone: ZoneInfo, hour: int, day_of_week: str = "*") -> CronTrigger:
    """At `hour` o'clock shop time (a few minutes' jitter), daily or on the given days."""
    return CronTrigger(day_of_week=day_of_week, hour=hour, timezone=timezone, jitter=300)


def counting(name: str, sweep: Callable[[datetime], Awaitable[int]]) -> Sweep:
    """A sweep that answers how many things it did, recorded in its run's counts under `name`."""

    async def run(now: datetime) -> dict[str, int]:
        return {name: await sweep(now)}

    return run


def shop_jobs(settings: Settings, pool: asyncpg.Pool, bot: Bot, shop: Shop, saver: BaseCheckpointSaver,
              llm: Llm, crm: SitniksClient | None = None) -> list[Job]:
    """The shop's jobs; the CRM sync only when the CRM is configured (`crm` is its client)."""
    tz = ZoneInfo(settings.shop_timezone)
    followups = Followups(pool, bot, shop, FollowupRules.from_settings(settings))
    retention = Retention(pool, saver, settings.inbox_retention, settings.trace_retention,
                          settings.checkpoint_retention)
    usage = UsageRollUp(pool, settings.shop_timezone)
    return [
        Job("followups", every(settings.followup_scan_interval), followups.sweep),
        Job("retention", at_night(tz, 3), retention.sweep),
        Job("llm_usage", CronTrigger(minute=5, timezone=tz, jitter=60), usage.sweep),
        Job("memory_decay", at_night(tz, 2), counting("facts_faded", partial(decay_sweep, pool))),
        Job("memory_summaries", at_night(tz, 4, day_of_week="mon"),
            counting("customers_summarised", partial(weekly_summaries, pool, llm))),
        Job("handoff_realert", every(settings.handoff_scan_interval),
            HandoffRealert(pool, load_admin_texts(), settings.handoff_realert_after).sweep),
        *([Job("crm_sync", every(settings.crm_sync_interval), crm_sweep(settings, pool, bot, shop, crm).sweep)]
          if crm else []),
    ]
