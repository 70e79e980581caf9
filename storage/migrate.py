"""Numbered `.sql` migrations, each applied once, in order, under one advisory lock.

The whole run is one transaction holding `pg_advisory_xact_lock`, so two processes starting together serialise
(the second sees everything applied and does nothing) and the lock works behind a transaction pooler too.
LangGraph's own tables are created afterwards by `setup_checkpointer`: its migrations use CREATE INDEX
CONCURRENTLY, which waits for every open transaction and so cannot run while our lock transaction is open.
"""

from __future__ import annotations

import hashlib
from contextlib import AsyncExitStack
from importlib import resources

import asyncpg
import structlog
from asyncpg.exceptions import (
    DeadlockDetectedError, DuplicateObjectError, DuplicateTableError, UniqueViolationError,
)

from config.settings import Settings
from storage.checkpoints import LatestCheckpointSaver
from storage.database import DatabaseTarget, connect, parse_target, start_embedded

log = structlog.get_logger(__name__)

_LOCK_KEY = 0x4D495254  # "MIRT"


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("storage") / "migrations"
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations. Returns the names applied by this call."""
    applied_now: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   name       TEXT PRIMARY KEY,
                   checksum   TEXT NOT NULL,
                   applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
        )
        done = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")}
        for name, sql in migration_files():
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if name in done:
                if done[name] != checksum:
                    log.warning("migration_changed_after_apply", migration=name)
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", name, checksum)
            applied_now.append(name)
            log.info("migration_applied", migration=name)
    return applied_now


async def setup_checkpointer(saver: LatestCheckpointSaver) -> None:
    """LangGraph's own migrations (`saver.setup()`, storage/checkpoints.py); two processes racing on the same step
    is retried, not fatal. Each step is IF NOT EXISTS, so a step that collided is done by the other process and
    skipped by the retry: two processes in lockstep collide at most once per step, hence one try per step. Two
    CREATE INDEX CONCURRENTLY on one table deadlock; Postgres cancels the one still waiting for the table's lock,
    which has created nothing yet (no invalid index left behind)."""
    attempts = len(saver.MIGRATIONS)
    for attempt in range(1, attempts + 1):
        try:
            await saver.setup()
            return
        except (UniqueViolationError, DuplicateTableError, DuplicateObjectError, DeadlockDetectedError) as exc:
            if attempt == attempts:
                raise
            log.info("checkpointer_setup_raced", error=type(exc).__name__, attempt=attempt)


async def migrated(settings: Settings, stack: AsyncExitStack) -> DatabaseTarget:
    """Postgres as DATABASE_URL names it (unset or empty: the embedded server, stopped with `stack`), our migrations
    applied; LangGraph's tables are `setup_checkpointer`'s."""
    url = settings.database_url.get_secret_value() if settings.database_url else ""
    if not url:
        url = await start_embedded(settings.data_dir, stack)
    target = parse_target(url, settings.database_transaction_pooler)
    conn = await connect(target)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return target
