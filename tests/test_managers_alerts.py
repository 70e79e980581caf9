"""The managers' alerts from the scheduled jobs (a CRM that refuses the key, an order stalled half-way) go through
the managers' queue like everything else posted to their group, through the real process: they survive a 502, follow
a group migrated to a supergroup, wait for a group that removed the bot (which never marks anyone as having blocked
the bot), and are sent once across a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest_asyncio
from structlog.testing import capture_logs

from catalog.orders import place_order
from catalog.texts import load_texts
from models.delivery import DeliveryPoint, PointKind
from models.orders import OrderLine, PaymentMethod, Recipient
from tests.fakes.sitniks import FakeSitniks
from tests.fakes.telegram import FakeTelegram
from tests.harness import Wire, running_bot
from tests.test_crm_process import sitniks  # noqa: F401  (fixture)

MANAGERS, MOVED_TO, ADMIN = -100999, -1009990001, 5001
DELIVERY = {"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_DELIVERY_DATA",
            "selected_products": []}


@pytest_asyncio.fixture(autouse=True)
async def clean(db: asyncpg.Pool) -> None:
    await db.execute("TRUNCATE managers_outbox, followups, messages, users, orders CASCADE")


def settings(sitniks: FakeSitniks, **overrides: Any) -> dict[str, Any]:  # noqa: F811
    """A CRM that refuses the bot's key (401), one follow-up delay of an hour, both sweeps every 0.2 s."""
    return {"sitniks_api_url": sitniks.url, "sitniks_api_key": "an-old-key", "crm_sync_interval": "0.2s",
            "followup_delays": "1h", "followup_scan_interval": "0.2s", "quiet_hours": "", "admin_chat_id": MANAGERS,
            **overrides}


async def stalled_order(db: asyncpg.Pool, chat: int) -> None:
    """A customer asked for the delivery data three hours ago and nudged two hours ago, silent since: the managers'
    alert is due at the first sweep."""
    wrote = datetime.now(UTC) - timedelta(hours=3)
    await db.execute("INSERT INTO users (external_id, first_name) VALUES ($1, 'Оксана')", str(chat))
    await db.execute("INSERT INTO agent_sessions (session_id, state) VALUES ($1, $2)", str(chat), DELIVERY)
    message_id = await db.fetchval("INSERT INTO messages (session_id, user_id, role, content, created_at) "
                                   "VALUES ($1, $1, 'user', 'Подумаю', $2) RETURNING id", str(chat), wrote)
    await db.execute("INSERT INTO messages (session_id, user_id, role, content, created_at) "
                     "VALUES ($1, $1, 'assistant', 'Чекаю на дані', $2)", str(chat), wrote + timedelta(seconds=4))
    await db.execute("INSERT INTO followups (session_id, after_message_id, kind, sequence, template, claimed_at, "
                     "sent_at, outcome) VALUES ($1, $2, 'nudge', 1, 'delivery_data', $3, $3, 'sent')",
                     str(chat), message_id, wrote + timedelta(hours=1))


async def order_for_the_crm(db: asyncpg.Pool, chat: int) -> None:
    await place_order(db, load_texts(), user_id=str(chat), session_id=str(chat), update_id=None,
                      lines=[OrderLine("MIRT-ANNA", "122-128", "рожевий")], payment_method=PaymentMethod.FULL,
                      recipient=Recipient("Петренко Оксана", "+380951234567", "Київ",
                                          DeliveryPoint(PointKind.BRANCH, 25)))


async def both_alerts_due(db: asyncpg.Pool, stalled: int, ordered: int) -> None:
    await stalled_order(db, stalled)
    await order_for_the_crm(db, ordered)


def assert_the_two_alerts(texts: list[str], stalled: int) -> None:
    """Exactly the CRM's alert and the stalled order's, each once."""
    assert len(texts) == 2, texts
    assert [t for t in texts if "SITNIKS_API_KEY" in t] != [] and [t for t in texts if str(stalled) in t] != []


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 15) -> None:
    """Wait for something the bot writes to Postgres (no API call to wake on)."""
    async def poll() -> None:
        while not await check():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


def calls_about(tg: FakeTelegram, chat: int) -> int:
    return len([c for c in tg.calls if int(c.params.get("chat_id") or 0) == chat])


async def test_alerts_reach_the_group_after_a_502(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, demo_catalog: None  # noqa: F811
) -> None:
    tg, stalled, ordered = wire.telegram, 3801, 3802
    await both_alerts_due(db, stalled, ordered)
    tg.fail("sendMessage", 502, "Bad Gateway")  # the first alert's post: Telegram's front answers 502
    async with running_bot(wire, **settings(sitniks)):
        await tg.wait_for(lambda: len(tg.sent_to(MANAGERS)) == 2)
    assert_the_two_alerts(tg.sent_to(MANAGERS), stalled)
    assert len([c for c in tg.calls_of("sendMessage") if int(c.params["chat_id"]) == MANAGERS]) == 3  # one again


async def test_alerts_follow_a_group_migrated_to_a_supergroup(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, demo_catalog: None  # noqa: F811
) -> None:
    tg, stalled, ordered, old = wire.telegram, 3811, 3812, -4000999
    await both_alerts_due(db, stalled, ordered)
    tg.fail_chat(old, 400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=MOVED_TO)
    async with running_bot(wire, **settings(sitniks, admin_chat_id=old)):
        await tg.wait_for(lambda: len(tg.sent_to(MOVED_TO)) == 2)
    assert_the_two_alerts(tg.sent_to(MOVED_TO), stalled)
    assert tg.sent_to(old) == []


async def test_a_group_that_removed_the_bot_blocks_nobody_and_gets_each_alert_once_after_a_restart(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, demo_catalog: None  # noqa: F811
) -> None:
    tg, stalled, ordered = wire.telegram, 3821, 3822
    await both_alerts_due(db, stalled, ordered)
    tg.fail_chat(MANAGERS, 403, "Forbidden: bot was kicked from the group chat")
    removed = settings(sitniks, admin_ids=str(ADMIN), managers_chat_retry="0.1s")
    with capture_logs() as logs:
        async with running_bot(wire, **removed):
            await until(lambda: claimed_alerts(db, stalled))
            await tg.wait_for(lambda: calls_about(tg, MANAGERS) >= 4)  # the group refused more than once
    assert [line for line in logs if line["event"] == "customer_blocked_bot"] == []
    assert await db.fetchval("SELECT count(*) FROM users WHERE blocked_at IS NOT NULL") == 0
    assert tg.sent_to(MANAGERS) == [] and len(tg.sent_to(ADMIN)) == 1  # the admins were told the group is gone

    tg.recover(MANAGERS)  # the bot is added back while it is down
    async with running_bot(wire, **removed):
        await tg.wait_for(lambda: len(tg.sent_to(MANAGERS)) == 2)
        delivered = datetime.now(UTC)
        await until(lambda: sweeps_since(db, delivered))  # the jobs ran again after the delivery: nothing new
    assert_the_two_alerts(tg.sent_to(MANAGERS), stalled)


async def claimed_alerts(db: asyncpg.Pool, stalled: int) -> bool:
    return bool(await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM crm_alerts) AND EXISTS (SELECT 1 FROM followups WHERE session_id = $1 "
        "AND kind = 'alert')", str(stalled)))


async def sweeps_since(db: asyncpg.Pool, moment: datetime) -> bool:
    """Both sweeps finished at least two runs that started after `moment`."""
    done = await db.fetch("SELECT job, count(*) AS runs FROM job_runs WHERE started_at > $1 AND outcome = 'ok' "
                          "AND job IN ('followups', 'crm_sync') GROUP BY job", moment)
    return len(done) == 2 and all(r["runs"] >= 2 for r in done)
