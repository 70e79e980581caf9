"""What operators see: the health endpoint and log lines (JSON, tagged with the update, personal data masked)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import aiohttp
import asyncpg

from bot.health import HealthServer
from tests.fakes.telegram import TOKEN
from tests.harness import Wire, running_bot, spawn_bot


async def test_health_is_200_while_polling_and_postgres_answer(wire: Wire, db: asyncpg.Pool) -> None:
    async with running_bot(wire) as bot, aiohttp.ClientSession() as http:
        assert bot.health is not None
        async with http.get(f"http://127.0.0.1:{bot.health.port}/health") as response:
            assert response.status == 200
            assert await response.json() == {"polling": True, "postgres": True, "managers_chat": "ok"}


async def test_health_is_503_when_polling_has_stopped(db: asyncpg.Pool) -> None:
    health = HealthServer(db, polling_alive=lambda: False)
    await health.start(0)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{health.port}/health") as response:
            assert response.status == 503
            assert (await response.json())["polling"] is False
    finally:
        await health.stop()


async def test_json_logs_carry_the_update_and_never_a_phone_or_token(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    chat = 901
    child = spawn_bot(wire, tmp_path / "bot.log", log_format="json")
    update_id = wire.telegram.send(chat, "Мій номер +38 (095) 123-45-67, передзвоніть")
    await wire.telegram.wait_for_messages(chat, 1, timeout=60)
    child.process.send_signal(signal.SIGTERM)
    assert await child.exit_code() == 0

    lines = [json.loads(line) for line in child.output().splitlines() if line.strip()]
    about_update = [line for line in lines if line.get("event") in {"update_received", "turn_done"}]
    assert {line["event"] for line in about_update} == {"update_received", "turn_done"}
    assert all(line["update_id"] == update_id and line["chat_id"] == chat for line in about_update)
    text = child.output()
    assert "123-45-67" not in text and "1234567" not in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    snapshot = await db.fetchval("SELECT input_snapshot::text FROM llm_traces WHERE session_id = $1", str(chat))
    assert "123-45-67" not in snapshot and "***67" in snapshot
