"""Runs of scheduled jobs (`job_runs`): what ran, when, how it ended and what it did, for the admins' /status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class JobRun:
    job: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str  # running / ok / failed / abandoned
    counts: dict[str, int]
    error: str | None


async def start_run(pool: asyncpg.Pool, job: str, started_at: datetime) -> int:
    """Record a run as started (committed at once, so /status sees it running). Called while holding the job's lock,
    so an older 'running' row of the same job belongs to a process that died mid-run: it is closed as abandoned."""
    await pool.execute(
        "UPDATE job_runs SET outcome = 'abandoned', finished_at = $2 WHERE job = $1 AND outcome = 'running'",
        job, started_at,
    )
    run_id: int = await pool.fetchval(
        "INSERT INTO job_runs (job, started_at, outcome) VALUES ($1, $2, 'running') RETURNING id", job, started_at,
    )
    return run_id


async def finish_run(
    pool: asyncpg.Pool, run_id: int, finished_at: datetime, outcome: str, counts: dict[str, Any],
    error: str | None = None,
) -> None:
    await pool.execute(
        "UPDATE job_runs SET finished_at = $2, outcome = $3, counts = $4, error = $5 WHERE id = $1",
        run_id, finished_at, outcome, counts, error,
    )


async def latest_runs(pool: asyncpg.Pool) -> dict[str, JobRun]:
    """The most recent run of every job that ever ran, by job name."""
    rows = await pool.fetch(
        """SELECT DISTINCT ON (job) job, started_at, finished_at, outcome, counts, error
           FROM job_runs ORDER BY job, started_at DESC, id DESC"""
    )
    return {r["job"]: JobRun(r["job"], r["started_at"], r["finished_at"], r["outcome"], r["counts"], r["error"])
            for r in rows}
