"""Shared fixtures: real Postgres (embedded or TEST_DATABASE_URL), a clean migrated database per test module."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from catalog.importer import import_file
from storage.database import connect, open_pool, parse_target
from storage.migrate import migrate
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import SPAWNED, Wire
from tests.postgres import create_database, server_url


@pytest.fixture(autouse=True)
def no_child_bot_left() -> Iterator[None]:
    """A test that fails before stopping its child bot does not leave it polling (and using CPU) for the rest of
    the run."""
    yield
    while SPAWNED:
        process = SPAWNED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, server = server_url(tmp_path_factory.mktemp("postgres"))
    yield url
    if server is not None:
        server.cleanup()  # type: ignore[attr-defined]


@pytest_asyncio.fixture(scope="module")
async def database_url(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """An empty database of this test module's own, with every migration applied."""
    prefix = re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])
    url = await create_database(postgres_server, prefix)
    conn = await connect(parse_target(url))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return url


@pytest_asyncio.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await open_pool(parse_target(database_url), size=5)
    yield pool
    await pool.close()


@pytest_asyncio.fixture
async def wire(database_url: str) -> AsyncIterator[Wire]:
    refusals: list[str] = []  # what either fake refused as the real service would: named when a wait times out
    telegram, openai = FakeTelegram(refusals), FakeOpenAI(refusals)
    await telegram.start()
    await openai.start()
    yield Wire(telegram, openai, database_url)
    await openai.stop()
    await telegram.stop()


@pytest_asyncio.fixture(scope="module")
async def demo_catalog(db: asyncpg.Pool) -> None:
    """The catalog that ships with the bot, loaded into this module's database."""
    await import_file(db, Path(str(resources.files("catalog") / "demo.yaml")))
