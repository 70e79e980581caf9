"""A second process polling the same token (a deploy overlap): Telegram answers 409 Conflict to the older
getUpdates call. The bot says so in its log and /health, and waits longer after each conflict instead of fighting
the other process; when the other one stops, it answers customers again."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bot.polling import CONFLICT_BACKOFF
from tests.fakes.telegram import TOKEN
from tests.harness import ChildBot, Wire, spawn_bot

RIVAL = 99  # the other process marks its calls with this limit, so the test can tell them apart


async def rival_polling(url: str) -> None:
    """The old container: long-polls the same token without pause, as a second bot instance would."""
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.post(f"{url}/bot{TOKEN}/getUpdates", json={"timeout": 10, "limit": RIVAL}) as response:
                await response.read()


def log_lines(child: ChildBot) -> list[dict[str, Any]]:
    lines = []
    for line in child.output().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue  # aiogram's own lines, not JSON
    return lines


def conflicts_logged(child: ChildBot) -> list[dict[str, Any]]:
    return [line for line in log_lines(child) if line.get("event") == "telegram_conflict"]


async def health(child: ChildBot) -> tuple[int, dict[str, Any]]:
    [port] = [line["port"] for line in log_lines(child) if line.get("event") == "health_listening"]
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/health") as response:
        return response.status, await response.json()


async def test_a_second_poller_is_reported_in_the_log_and_health_and_backed_off_from(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    tg = wire.telegram
    child = spawn_bot(wire, tmp_path / "bot.log", log_format="json")
    ours = lambda: [c for c in tg.calls_of("getUpdates") if c.params.get("limit") != RIVAL]  # noqa: E731
    await tg.wait_for(lambda: bool(ours()), timeout=60)
    refused = lambda: [c for c in ours() if c.params.get("_failed")]  # noqa: E731
    rival = asyncio.create_task(rival_polling(tg.url))
    # Meanwhile the old process links a customer's chat to the shop's Business account.
    await db.execute("INSERT INTO business_connections (id, owner_id, owner_name, is_enabled, can_reply) "
                     "VALUES ('old-conn', 42, 'Олена', true, true)")
    await db.execute("INSERT INTO business_chats (chat_id, connection_id, opened_by_customer) "
                     "VALUES (952, 'old-conn', true)")
    try:
        await tg.wait_for(lambda: len(refused()) >= 2, timeout=30)
    finally:
        rival.cancel()
    await tg.wait_for(lambda: len(ours()) > ours().index(refused()[1]) + 1)  # it polls again after its wait
    first, second = conflicts_logged(child)[:2]
    assert "BOT_TOKEN" in first["problem"] and "stop the old one" in first["problem"]
    assert (first["retry_in"], second["retry_in"]) == (CONFLICT_BACKOFF, 2 * CONFLICT_BACKOFF)
    calls = ours()
    for conflict, wait in zip(refused()[:2], (CONFLICT_BACKOFF, 2 * CONFLICT_BACKOFF)):
        following = calls[calls.index(conflict) + 1]
        assert following.at - conflict.at >= wait  # it waited, longer each time, rather than polling at once
    status, body = await health(child)  # still waiting on that call: not yet known to be healthy
    assert status == 503 and body["polling"] is False and "409 Conflict" in body["problem"]

    tg.send(951, "Добрий день")  # the old process is gone: the bot answers again, and says it is healthy
    await tg.wait_for_messages(951, 1, timeout=60)
    assert (await health(child))[0] == 200
    assert any(line.get("event") == "telegram_conflict_over" for line in log_lines(child))
    # That customer now writes to the bot itself: the link the old process made is known here, and dropped.
    tg.send(952, "Пишу вам сюди")
    await tg.wait_for_messages(952, 1, timeout=60)
    assert await db.fetchval("SELECT count(*) FROM business_chats WHERE chat_id = 952") == 0
    child.process.send_signal(signal.SIGTERM)
    assert await child.exit_code() == 0, child.output()
