"""DATABASE_TRANSACTION_POOLER (or `?pooler=transaction` in DATABASE_URL): behind PgBouncer or Supavisor in
transaction mode neither driver may leave a named prepared statement on a server connection (asyncpg's statement
cache, psycopg's automatic preparing), since the next transaction may run on another one. Checked on the wire: a
relay in front of Postgres reads every Parse message the bot's connections send while it starts and serves turns."""

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
        for n in range(6):  # psycopg prepares a query on its 5th run on a connection unless told not to
            wire.telegram.send(first_chat, f"Питання {n}")
            await wire.telegram.wait_for_messages(first_chat, n + 1)


async def test_without_the_setting_both_drivers_prepare_named_statements(
        wire: Wire, db: asyncpg.Pool, relay: tuple[PostgresRelay, str]) -> None:
    relay_, url = relay
    await serve_turns(replace(wire, database_url=url), 4201)
    named = {name for name in relay_.prepared if name}
    for driver in ("__asyncpg_stmt_", "_pg3_"):  # asyncpg's statement cache, psycopg's preparing: what the relay sees
        assert any(name.startswith(driver) for name in named), named


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
