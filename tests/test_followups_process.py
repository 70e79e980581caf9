"""Follow-ups through the real process: the scheduler in `python -m bot` sweeping with short delays, and a process
killed mid-sweep then restarted."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from tests.harness import Wire, running_bot, spawn_bot

KYIV = ZoneInfo("Europe/Kyiv")
MANAGERS = -100888
DELIVERY = {"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_DELIVERY_DATA",
            "selected_products": []}
DISCOVERY = {"current_state": "STATE_1_DISCOVERY", "dialog_phase": "DISCOVERY"}
ASK_DELIVERY = "Чекаю на дані для доставки: ПІБ, телефон, місто та відділення Нової Пошти 📦"


class Clock:
    """The time the bot's scheduled jobs see; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def swept_at(db: asyncpg.Pool, moment: datetime, timeout: float = 30) -> dict[str, int]:
    """The counts of the follow-up sweep the bot ran at `moment` (by its clock), once it finished."""
    async def finished() -> dict[str, int]:
        while True:
            counts = await db.fetchval("SELECT counts FROM job_runs WHERE job = 'followups' AND started_at = $1 "
                                       "AND outcome = 'ok' LIMIT 1", moment)
            if counts is not None:
                return counts
            await asyncio.sleep(0.05)  # job_runs is written by the bot: nothing to wait on but the row itself

    return await asyncio.wait_for(finished(), timeout)


async def test_a_customer_silent_over_delivery_data_gets_two_nudges_then_the_managers_are_told(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 1501
    start = datetime.now(UTC)
    clock = Clock(start)
    async with running_bot(wire, clock, followup_delays="1h,2h", followup_scan_interval="0.2s", quiet_hours="",
                           admin_chat_id=MANAGERS):
        wire.telegram.send(chat, "Беру, оформлюйте")
        [reply] = await wire.telegram.wait_for_messages(chat, 1)
        await db.execute("UPDATE agent_sessions SET state = $2 WHERE session_id = $1", str(chat), DELIVERY)
        for hours, expected in ((1, 2), (2, 3)):  # each delay passes only when the test says so, not by racing
            clock.now = start + timedelta(hours=hours, minutes=1)
            await wire.telegram.wait_for_messages(chat, expected)
        assert wire.telegram.sent_to(MANAGERS) == []
        clock.now = start + timedelta(hours=3, minutes=1)  # another first delay after the last nudge
        [alert] = await wire.telegram.wait_for_messages(MANAGERS, 1)
    assert wire.telegram.sent_to(chat) == [reply, ASK_DELIVERY, ASK_DELIVERY]
    assert "Оксана" in alert and str(chat) in alert
    tags = await db.fetch("SELECT tags FROM messages WHERE session_id = $1 AND role = 'assistant' ORDER BY id", str(chat))
    assert [r["tags"] for r in tags][1:] == [["followup", "followup:delivery_data"]] * 2
    run = await db.fetchrow("SELECT outcome, counts FROM job_runs WHERE job = 'followups' AND outcome = 'ok' "
                            "AND (counts ->> 'alerted')::int = 1")
    assert run is not None


async def test_no_follow_up_during_the_default_quiet_hours_and_one_at_nine(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 1502
    await silent_customer(db, chat, datetime(2026, 3, 10, 18, tzinfo=KYIV), DELIVERY)
    late = datetime(2026, 3, 10, 22, 30, tzinfo=KYIV)  # the 4 h nudge fell due at 22:00
    clock = Clock(late)
    async with running_bot(wire, clock, followup_delays="4h,23h", followup_scan_interval="0.2s"):  # QUIET_HOURS unset
        assert (await swept_at(db, late))["deferred"] == 1
        clock.now = datetime(2026, 3, 11, 8, 59, tzinfo=KYIV)
        assert (await swept_at(db, clock.now))["deferred"] == 1
        assert wire.telegram.sent_to(chat) == []
        clock.now = datetime(2026, 3, 11, 9, tzinfo=KYIV)
        assert await wire.telegram.wait_for_messages(chat, 1) == [ASK_DELIVERY]
        assert (await swept_at(db, clock.now))["sent"] == 1


async def silent_customer(db: asyncpg.Pool, chat: int, wrote: datetime, state: dict[str, str] = DISCOVERY) -> None:
    """A customer who wrote at `wrote` and got the bot's answer four seconds later, then nothing."""
    await db.execute("INSERT INTO users (external_id, first_name) VALUES ($1, 'Марта')", str(chat))
    await db.execute("INSERT INTO agent_sessions (session_id, state) VALUES ($1, $2)", str(chat), state)
    for role, when in (("user", wrote), ("assistant", wrote + timedelta(seconds=4))):
        await db.execute("INSERT INTO messages (session_id, user_id, role, content, created_at) "
                         "VALUES ($1, $1, $2, '…', $3)", str(chat), role, when)


def attempts(wire: Wire, chat: int) -> int:
    return len([c for c in wire.telegram.calls_of("sendMessage") if int(c.params["chat_id"]) == chat])


async def test_killed_during_a_sweep_then_restarted_no_customer_gets_a_follow_up_twice(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    nudged, cut_off, later = 1511, 1512, 1513
    settings = {"followup_delays": "1h,5h", "followup_scan_interval": "0.2s", "quiet_hours": ""}
    await silent_customer(db, nudged, datetime.now(UTC) - timedelta(minutes=61))
    first = spawn_bot(wire, tmp_path / "first.log", **settings)
    await wire.telegram.wait_for_messages(nudged, 1, timeout=60)
    wire.telegram.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    await silent_customer(db, cut_off, datetime.now(UTC) - timedelta(minutes=61))
    await wire.telegram.wait_for(lambda: attempts(wire, cut_off) == 1)  # claimed, now waiting out the 429
    first.process.kill()
    assert await first.exit_code() == -signal.SIGKILL

    await silent_customer(db, later, datetime.now(UTC) - timedelta(minutes=60, seconds=30))  # swept after the other two
    second = spawn_bot(wire, tmp_path / "second.log", **settings)
    await wire.telegram.wait_for_messages(later, 1, timeout=60)
    second.process.send_signal(signal.SIGTERM)
    assert await second.exit_code() == 0, second.output()

    assert len(wire.telegram.sent_to(nudged)) == 1
    assert wire.telegram.sent_to(cut_off) == [] and attempts(wire, cut_off) == 1  # at most once: never retried
    outcomes = await db.fetch("SELECT outcome FROM job_runs WHERE job = 'followups' ORDER BY started_at")
    assert "abandoned" in [r["outcome"] for r in outcomes]  # the killed run, closed by the restarted process
