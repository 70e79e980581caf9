"""The managers' queue against every answer Telegram gives, through the real process: a 502, a group migrated to a
supergroup, a group that removed the bot and came back, an unexpected error; and start-up that never depends on
the group."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import asyncpg
from structlog.testing import capture_logs

from bot.app import BotProcess
from storage.handoffs import start_handoff
from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, copies_to

MOVED_TO = -1001234567


async def health_of(process: BotProcess) -> dict[str, object]:
    assert process.health is not None
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{process.health.port}/health") as response:
        assert response.status == 200
        return dict(await response.json())


async def test_a_502_from_the_group_delays_the_queue_and_loses_nothing(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3101
    await start_handoff(db, str(customer), "тест", ADMIN, "Олена", datetime.now(UTC))
    tg.fail("copyMessage", 502, "Bad Gateway")
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        tg.send(customer, "Де моє замовлення?")
        tg.send(customer, "Алло?")
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == 2)
    assert tg.sent_to(MANAGERS) == ["Де моє замовлення?", "Алло?"]
    assert await db.fetchval("SELECT count(*) FROM managers_outbox WHERE session_id = $1 AND sent_at IS NULL",
                             str(customer)) == 0


async def test_a_migrated_group_is_followed_and_remembered(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer, old = wire.telegram, 3102, -4000123
    await start_handoff(db, str(customer), "тест", ADMIN, "Олена", datetime.now(UTC))
    tg.fail_chat(old, 400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=MOVED_TO)
    with capture_logs() as logs:
        async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=old):
            tg.send(customer, "Розмір 128 є?")
            await tg.wait_for(lambda: len(copies_to(tg, MOVED_TO)) == 1)
    assert tg.sent_to(MOVED_TO) == ["Розмір 128 є?"] and tg.sent_to(old) == []
    assert [line["to_chat_id"] for line in logs if line["event"] == "managers_chat_migrated"] == [MOVED_TO]
    assert await db.fetchval("SELECT current_id FROM managers_chat_moves WHERE configured_id = $1", old) == MOVED_TO

    tried_old = len([c for c in tg.calls if int(c.params.get("chat_id") or 0) == old])
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=old):  # the next start goes there at once
        tg.send(customer, "Ще питання")
        await tg.wait_for(lambda: len(copies_to(tg, MOVED_TO)) == 2)
    assert len([c for c in tg.calls if int(c.params.get("chat_id") or 0) == old]) == tried_old


async def test_a_group_that_refuses_the_bot_parks_the_queue_and_customers_are_served(
        wire: Wire, db: asyncpg.Pool) -> None:
    tg, waiting, other = wire.telegram, 3103, 3104
    await start_handoff(db, str(waiting), "тест", ADMIN, "Олена", datetime.now(UTC))
    tg.fail_chat(MANAGERS, 403, "Forbidden: bot was kicked from the supergroup chat")
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS,
                           managers_chat_retry="0.1s") as process:
        await tg.wait_for(lambda: len(tg.sent_to(ADMIN)) == 1)
        assert "Не можу писати в чат менеджерів" in tg.sent_to(ADMIN)[0]
        assert (await health_of(process))["managers_chat"] == "degraded: managers' chat unreachable"

        tg.send(waiting, "Менеджере, ви тут?")
        tg.send(other, "Привіт")
        await tg.wait_for_messages(other, 1)  # the assistant answers while the managers' group is unreachable
        await tg.wait_for(lambda: len(tg.calls_of("getChat")) >= 5)  # tried again and again…
        assert len(tg.sent_to(ADMIN)) == 1  # …and the admins were told once

        tg.send(ADMIN, "/status")
        await tg.wait_for(lambda: len(tg.sent_to(ADMIN)) == 2)
        assert "Чат менеджерів: недоступний (Forbidden: bot was kicked" in tg.sent_to(ADMIN)[1]

        tg.recover(MANAGERS)
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == 1)
        assert tg.sent_to(MANAGERS) == ["Менеджере, ви тут?"]
        assert (await health_of(process))["managers_chat"] == "ok"


async def test_an_unexpected_error_restarts_the_drain_with_its_traceback(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3105
    await start_handoff(db, str(customer), "тест", ADMIN, "Олена", datetime.now(UTC))
    tg.fail("copyMessage", 409, "Conflict: something nobody expected")
    with capture_logs() as logs:
        async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
            tg.send(customer, "Є хтось?")
            await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == 1)
    [crash] = [line for line in logs if line["event"] == "managers_desk_crashed"]
    assert crash["exc_info"] is True and crash["log_level"] == "error"
