"""Real Postgres for tests: the embedded server (or TEST_DATABASE_URL), a fresh database per test module."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.database import embedded_server


def server_url(tmp_dir: Path) -> tuple[str, object | None]:
    """URL of the maintenance database and the embedded server handle (None when TEST_DATABASE_URL is used)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url, None
    server = embedded_server(tmp_dir / "pg", cleanup_mode="delete")
    return server.get_uri(), server  # type: ignore[attr-defined]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(url: str, prefix: str) -> str:
    name = f"t_{prefix}_{uuid.uuid4().hex[:8]}".lower()[:60]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(url, name)
