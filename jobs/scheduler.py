"""The in-process scheduler: APScheduler's AsyncIOScheduler firing idempotent sweeps, each run under a Postgres
advisory lock and recorded in `job_runs`.

The lock is `pg_try_advisory_xact_lock`, taken in a transaction on a connection held for the whole run, rather than
a session lock on a dedicated connection. A transaction lock is released by Postgres itself on commit, rollback or
when the connection drops (a killed process), so no code path can leak it; and it works behind a transaction
pooler (PgBouncer, Supavisor), where a session lock could be taken on one server connection and "released" on
another. The transaction does nothing but hold the lock; the sweep writes through the pool, so every follow-up
claim is committed at once instead of waiting for the end of the run. A second process that finds the lock taken
skips that run: the holder is doing the work.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from storage.job_runs import finish_run, start_run

log = structlog.get_logger(__name__)

Counts = dict[str, int]
# Called with the time the run started; returns what it did (or None when there is nothing to count).
Sweep = Callable[[datetime], Awaitable[Counts | None]]

_LOCK_CLASS = 0x4A4F4253  # "JOBS": the first key of every job lock; the second is the job's name
MISFIRE_GRACE = 300  # seconds a run may start late (event loop busy, process paused) before it is skipped


@dataclass(frozen=True)
class Job:
    name: str
    trigger: BaseTrigger
    sweep: Sweep


def utc_now() -> datetime:
    return datetime.now(UTC)


def lock_key(job: str) -> int:
    """A stable signed 32-bit key per job name (the same in every process, unlike hash())."""
    return int.from_bytes(zlib.crc32(job.encode()).to_bytes(4, "big"), "big", signed=True)


async def run_job(pool: asyncpg.Pool, job: Job, clock: Callable[[], datetime] = utc_now) -> str | None:
    """Run `job` once unless another process is running it. Returns the outcome, or None when skipped."""
    async with pool.acquire() as lock_conn, lock_conn.transaction():
        if not await lock_conn.fetchval("SELECT pg_try_advisory_xact_lock($1, $2)", _LOCK_CLASS, lock_key(job.name)):
            log.info("job_skipped_running_elsewhere", job=job.name)
            return None
        started = clock()
        run_id = await start_run(pool, job.name, started)
        try:
            counts = await job.sweep(started) or {}
        except asyncio.CancelledError:
            await finish_run(pool, run_id, clock(), "abandoned", {}, "stopped by shutdown")
            raise
        except Exception as exc:
            log.exception("job_failed", job=job.name)
            await finish_run(pool, run_id, clock(), "failed", {}, f"{type(exc).__name__}: {exc}")
            return "failed"
        await finish_run(pool, run_id, clock(), "ok", counts)
        log.info("job_done", job=job.name, counts=counts)
        return "ok"


class Scheduler:
    """Fires the jobs on their triggers: missed runs coalesce into one, a run late by more than MISFIRE_GRACE is
    skipped, and one job never overlaps itself in this process (the advisory lock covers other processes)."""

    def __init__(self, pool: asyncpg.Pool, jobs: Sequence[Job], clock: Callable[[], datetime] = utc_now) -> None:
        self._pool = pool
        self._clock = clock
        self._running: set[asyncio.Task[object]] = set()
        self._scheduler = AsyncIOScheduler(
            job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE, "max_instances": 1},
        )
        for job in jobs:
            self._scheduler.add_job(self._run, job.trigger, args=[job], id=job.name, name=job.name)

    async def _run(self, job: Job) -> str | None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            return await run_job(self._pool, job, self._clock)
        finally:
            self._running.discard(task)

    def start(self) -> None:
        self._scheduler.start()

    async def stop(self, grace: float) -> None:
        """Start nothing new; let running jobs finish within `grace` seconds, then cancel them (their transaction
        rolls back and their run is recorded as abandoned)."""
        self._scheduler.pause()
        running = set(self._running)
        if running:
            log.info("jobs_finishing", jobs=len(running))
            await asyncio.wait(running, timeout=grace)
        self._scheduler.shutdown(wait=False)  # cancels what is still running
        await asyncio.gather(*running, return_exceptions=True)
