"""The scheduler: one run of a job at a time across processes (advisory lock), every run recorded for /status,
and a shutdown that lets a running job finish or abandons it cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest_asyncio
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import make_bot
from config.settings import Settings
from config.shop import load_shop
from jobs.followups import FollowupRules, Followups
from jobs.schedule import shop_jobs
from jobs.scheduler import Job, Scheduler, run_job
from storage.database import open_pool, parse_target
from storage.job_runs import latest_runs
from tests.harness import Wire

SOON = IntervalTrigger(seconds=0.05)


@pytest_asyncio.fixture
async def second_process_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await open_pool(parse_target(database_url), size=3)
    yield pool
    await pool.close()


def held(entered: asyncio.Event, release: asyncio.Event, runs: list[datetime]) -> Job:
    async def sweep(now: datetime) -> dict[str, int]:
        runs.append(now)
        entered.set()
        await release.wait()
        return {"done": 1}

    return Job("held", SOON, sweep)


async def test_a_job_running_in_one_process_is_skipped_by_another(
    db: asyncpg.Pool, second_process_pool: asyncpg.Pool
) -> None:
    entered, release, runs = asyncio.Event(), asyncio.Event(), []
    job = held(entered, release, runs)
    first = asyncio.create_task(run_job(db, job))
    await entered.wait()
    assert await run_job(second_process_pool, job) is None
    release.set()
    assert await first == "ok"
    assert await run_job(second_process_pool, job) == "ok"  # the lock went with the first run's transaction
    assert len(runs) == 2
    latest = (await latest_runs(db))["held"]
    assert (latest.outcome, latest.counts, latest.error) == ("ok", {"done": 1}, None)
    assert latest.finished_at is not None and latest.finished_at >= latest.started_at


async def test_a_failing_job_is_recorded_with_its_error(db: asyncpg.Pool) -> None:
    async def sweep(now: datetime) -> dict[str, int]:
        raise RuntimeError("CRM не відповідає")

    assert await run_job(db, Job("crm_sync_test", SOON, sweep)) == "failed"
    latest = (await latest_runs(db))["crm_sync_test"]
    assert (latest.outcome, latest.error) == ("failed", "RuntimeError: CRM не відповідає")


async def test_a_run_left_running_by_a_killed_process_is_closed_as_abandoned(db: asyncpg.Pool) -> None:
    started = datetime.now(UTC) - timedelta(minutes=10)
    await db.execute("INSERT INTO job_runs (job, started_at, outcome) VALUES ('decay_test', $1, 'running')", started)

    async def sweep(now: datetime) -> None:
        return None

    assert await run_job(db, Job("decay_test", SOON, sweep)) == "ok"
    outcomes = await db.fetch("SELECT outcome, counts FROM job_runs WHERE job = 'decay_test' ORDER BY started_at")
    assert [(r["outcome"], r["counts"]) for r in outcomes] == [("abandoned", {}), ("ok", {})]


async def test_shutdown_lets_a_running_job_finish_within_the_grace(db: asyncpg.Pool) -> None:
    entered, release, runs = asyncio.Event(), asyncio.Event(), []
    scheduler = Scheduler(db, [held(entered, release, runs)])
    scheduler.start()
    await entered.wait()
    stopping = asyncio.create_task(scheduler.stop(grace=30))
    release.set()
    await stopping
    assert len(runs) == 1
    assert (await latest_runs(db))["held"].outcome == "ok"


async def test_shutdown_abandons_a_job_that_outlasts_the_grace(db: asyncpg.Pool) -> None:
    entered, never, runs = asyncio.Event(), asyncio.Event(), []
    job = held(entered, never, runs)
    scheduler = Scheduler(db, [Job("stuck", job.trigger, job.sweep)])
    scheduler.start()
    await entered.wait()
    await scheduler.stop(grace=0.2)
    latest = (await latest_runs(db))["stuck"]
    assert (latest.outcome, latest.error) == ("abandoned", "stopped by shutdown")
    # its lock went with the cancelled transaction: the next run is not blocked
    assert await run_job(db, Job("stuck", SOON, lambda now: asyncio.sleep(0, {"done": 1}))) == "ok"


async def test_two_schedulers_on_one_database_send_each_follow_up_once(
    wire: Wire, db: asyncpg.Pool, second_process_pool: asyncpg.Pool
) -> None:
    chat = 1301
    now = datetime.now(UTC)
    await db.execute("INSERT INTO users (external_id, first_name) VALUES ($1, 'Ірина')", str(chat))
    await db.execute("INSERT INTO agent_sessions (session_id, state) VALUES ($1, $2)", str(chat),
                     {"current_state": "STATE_3_SIZE_COLOR", "dialog_phase": "DISCOVERY"})
    for role, ago in (("user", timedelta(hours=2)), ("assistant", timedelta(hours=2) - timedelta(seconds=3))):
        await db.execute("INSERT INTO messages (session_id, user_id, role, content, created_at) "
                         "VALUES ($1, $1, $2, '…', $3)", str(chat), role, now - ago)
    rules = FollowupRules((timedelta(hours=1), timedelta(hours=5)), ZoneInfo("Europe/Kyiv"), None, False)
    shop = load_shop(None)
    sweeps = 0
    enough = asyncio.Event()
    schedulers, bots = [], []
    for pool in (db, second_process_pool):
        bot = make_bot(wire.settings())
        bots.append(bot)
        followups = Followups(pool, bot, shop, rules)

        async def counted(now: datetime, sweep=followups.sweep) -> dict[str, int]:  # type: ignore[no-untyped-def]
            nonlocal sweeps
            counts = await sweep(now)
            sweeps += 1
            if sweeps >= 8:
                enough.set()
            return counts

        schedulers.append(Scheduler(pool, [Job("followups", SOON, counted)]))
    for scheduler in schedulers:
        scheduler.start()
    try:
        await asyncio.wait_for(enough.wait(), 15)
    finally:
        for scheduler in schedulers:
            await scheduler.stop(grace=5)
        for bot in bots:
            await bot.session.close()
    [nudge] = wire.telegram.sent_to(chat)
    assert "зріст дитини" in nudge
    assert await db.fetchval("SELECT count(*) FROM followups WHERE session_id = $1", str(chat)) == 1


def test_maintenance_runs_at_night_kyiv_time_and_follow_ups_every_scan_interval() -> None:
    settings = Settings(_env_file=None, followup_scan_interval="5m")
    jobs = {job.name: job for job in shop_jobs(settings, None, None, load_shop(None), None, None)}  # type: ignore[arg-type]
    kyiv = ZoneInfo("Europe/Kyiv")
    tuesday_noon = datetime(2026, 3, 10, 12, tzinfo=kyiv)
    fires = {name: jobs[name].trigger.get_next_fire_time(None, tuesday_noon).astimezone(kyiv)
             for name in ("memory_decay", "retention", "memory_summaries")}
    assert {name: (f.date(), f.hour) for name, f in fires.items()} == {
        "memory_decay": (date(2026, 3, 11), 2), "retention": (date(2026, 3, 11), 3),
        "memory_summaries": (date(2026, 3, 16), 4),  # weekly, on Monday night
    }
    assert all(f.minute < 6 for f in fires.values())  # jitter spreads processes over a few minutes only
    assert jobs["followups"].trigger.interval == timedelta(minutes=5)
