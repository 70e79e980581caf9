"""What operators see: the health endpoint and log lines (JSON, tagged with the update, personal data masked)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import Callable
from pathlib import Path

import aiohttp
import asyncpg

from bot.health import HealthServer
from config.names import customer_words, mask_names
from tests.fakes.telegram import TOKEN
from tests.harness import Wire, running_bot, spawn_bot
from tests.test_sale import ORDER_STEPS, sales_script, talk


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


async def test_json_logs_carry_the_update_and_the_trace_no_phone(
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
    snapshot = await db.fetchval("SELECT input_snapshot::text FROM llm_traces WHERE session_id = $1", str(chat))
    assert "123-45-67" not in snapshot and "***67" in snapshot


async def test_a_failing_turn_logs_no_customer_name_phone_or_token(
    wire: Wire, db: asyncpg.Pool, demo_catalog: None, tmp_path: Path
) -> None:
    """A Postgres refusal quotes the refused row (DETAIL: Failing row contains (…)), and the turn's traceback is
    logged: the customer's Telegram name, username, the recipient named in the dialog and the phone stay hidden."""
    chat, tg = 902, wire.telegram
    sender = {"first_name": "Зоряна", "last_name": "Ковалишин", "username": "zoryana_k"}
    wire.openai.script = sales_script
    child = spawn_bot(wire, tmp_path / "bot.log", log_format="json")
    await talk(tg, chat, ORDER_STEPS[:3], **sender)  # the dialog records the recipient: Петренко Оксана
    assert "Оксана" in (await db.fetchval(
        "SELECT state #>> '{metadata,customer_name}' FROM agent_sessions WHERE session_id = $1", str(chat)))
    # A limit on the stored messages (a DBA's column rule): the next long message is refused with its row quoted.
    await db.execute("ALTER TABLE messages ADD CONSTRAINT short_messages CHECK (length(content) < 80) NOT VALID")
    try:
        tg.send(chat, "Посилку отримає Оксана Петренко, а пише Зоряна Ковалишин (zoryana_k). Для Оксани телефон "
                      "+38 (095) 123-45-67, Зоряні дзвонити не треба", **sender)
        await until(lambda: '"turn_failed"' in child.output())
        # An edit is a turn of its own (Telegram's edited_message): its log lines hide the same names.
        tg.edit(chat, tg.last_incoming[chat], "Оксані Петренко, виправляю: посилку отримає вона, Зоряна "
                                              "Ковалишин лише платить")
        await until(lambda: child.output().count('"turn_failed"') == 2)
    finally:
        await db.execute("ALTER TABLE messages DROP CONSTRAINT short_messages")
    child.process.send_signal(signal.SIGTERM)
    assert await child.exit_code() == 0

    text = child.output()
    assert "Failing row contains" in text and "Посилку отримає" in text  # the refused rows did reach the log
    assert "(виправлено)" in text  # the edit's own
    for name in ("Оксан", "Петренк", "Зорян", "Ковалишин", "zoryana"):
        assert name.lower() not in text.lower(), name
    assert not re.search(r"0?9\D{0,3}5\D{0,3}1\D{0,3}2\D{0,3}3\D{0,3}4\D{0,3}5", text)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Wait until `condition` holds (checked every 50 ms), failing after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def test_personal_fields_and_bound_names_are_hidden_at_any_depth() -> None:
    event = {"event": "crm_order_rejected", "reason": "client Оксані Петренко: bad phone", "first_name": "Ігор",
             "payload": {"client": {"full_name": "Ігор Бойко", "phone": "0951234567"}, "sku": "MIRT-001"},
             "phone": None}
    with customer_words("Петренко Оксана"):
        masked = mask_names(None, "warning", event)
    assert masked == {"event": "crm_order_rejected", "reason": "client *** ***: bad phone", "first_name": "***",
                      "payload": {"client": {"full_name": "***", "phone": "***"}, "sku": "MIRT-001"}, "phone": None}
    assert mask_names(None, "info", {"event": "Оксана"}) == {"event": "Оксана"}  # no turn bound: nothing to hide
