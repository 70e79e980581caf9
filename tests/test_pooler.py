"""DATABASE_TRANSACTION_POOLER (or `?pooler=transaction` in DATABASE_URL): behind PgBouncer or Supavisor in
transaction mode the bot may not leave a named prepared statement on a server connection (asyncpg's statement
cache), since the next transaction may run on another one. Checked on the wire: a relay in front of Postgres reads
every Parse message the bot's connections send while it starts and serves turns (LangGraph's checkpoints included:
they go through the same asyncpg pool)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import pytest_asyncio

from tests.harness import Wire, running_bot
from tests.pg_proxy import PostgresRelay


@pytest_asyncio.fixture
async def relay(wire: Wire) -> AsyncIterator[tuple[PostgresRelay, str]]:
    relay = PostgresRelay(wire.database_url)
    url = await relay.start()
    yield relay, url
    await relay.stop()


async def serve_turns(wire: Wire, first_chat: int, **settings: str) -> None:
    async with running_bot(wire, database_pool_size="2", **settings):
        for n in range(3):  # each statement runs more than once: a cached one would be reused by name
            wire.telegram.send(first_chat, f"Питання {n}")
            await wire.telegram.wait_for_messages(first_chat, n + 1)


async def test_without_the_setting_the_statements_are_named_and_cached(
        wire: Wire, db: asyncpg.Pool, relay: tuple[PostgresRelay, str]) -> None:
    relay_, url = relay
    await serve_turns(replace(wire, database_url=url), 4201)
    named = {name for name in relay_.prepared if name}
    assert named and all(name.startswith("__asyncpg_stmt_") for name in named), named  # one driver: asyncpg


async def test_the_url_parameter_keeps_every_statement_unnamed(
        wire: Wire, db: asyncpg.Pool, relay: tuple[PostgresRelay, str]) -> None:
    relay_, url = relay
    await serve_turns(replace(wire, database_url=f"{url}&pooler=transaction"), 4202)
    assert relay_.prepared and {name for name in relay_.prepared if name} == set()


async def test_the_setting_keeps_every_statement_unnamed(
        wire: Wire, db: asyncpg.Pool, relay: tuple[PostgresRelay, str]) -> None:
    relay_, url = relay
    await serve_turns(replace(wire, database_url=url), 4203, database_transaction_pooler="true")
    assert relay_.prepared and {name for name in relay_.prepared if name} == set()
