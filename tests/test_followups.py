"""Follow-ups as the customer and the managers see them, with the sweep driven at chosen moments (Kyiv time): the
nudges, who gets none, quiet hours, the managers' alert when an order stalls; and the fixtures and helpers the
follow-up tests share. When something goes wrong (a crash, two sweeps, failed sends, a missing text):
tests/test_followups_failures.py."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio

from bot.app import make_bot
from config.shop import load_shop
from jobs.followups import FollowupRules, Followups
from tests.harness import Wire

KYIV = ZoneInfo("Europe/Kyiv")
DELIVERY = {"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_DELIVERY_DATA",
            "selected_products": [{"name": "Сукня Анна", "size": "128"}]}
ASK_DELIVERY = "Чекаю на дані для доставки: ПІБ, телефон, місто та відділення Нової Пошти 📦"


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    """A moment in Kyiv; day 0 is Tuesday 10 March 2026."""
    return datetime(2026, 3, 10 + day, hour, minute, tzinfo=KYIV)


RULES = FollowupRules(delays=(timedelta(hours=4), timedelta(hours=23)), timezone=KYIV,
                      quiet=(time(21), time(9)), alert_managers=True)


@pytest_asyncio.fixture(autouse=True)
async def clean(db: asyncpg.Pool) -> None:
    await db.execute("TRUNCATE messages, agent_sessions, followups, users, orders, managers_outbox, crm_chat_statuses CASCADE")


@pytest_asyncio.fixture
async def followups(wire: Wire, db: asyncpg.Pool) -> AsyncIterator[Followups]:
    bot = make_bot(wire.settings())
    yield Followups(db, bot, load_shop(None), RULES)
    await bot.session.close()


async def say(db: asyncpg.Pool, chat: int, role: str, when: datetime, text: str = "…") -> None:
    await db.execute("INSERT INTO messages (session_id, user_id, role, content, created_at) VALUES ($1, $1, $2, $3, $4)",
                     str(chat), role, text, when)


async def conversation(db: asyncpg.Pool, chat: int, state: dict[str, Any], customer_at: datetime,
                       answered: bool = True) -> None:
    """A customer who wrote at `customer_at` and (unless not `answered`) got the bot's reply a few seconds later."""
    await db.execute("INSERT INTO users (external_id, first_name, last_name) VALUES ($1, 'Оксана', 'Коваль')",
                     str(chat))
    await db.execute("INSERT INTO agent_sessions (session_id, state) VALUES ($1, $2)", str(chat), state)
    await say(db, chat, "user", customer_at, "Дякую, подумаю")
    if answered:
        await say(db, chat, "assistant", customer_at + timedelta(seconds=5), "Гаразд, чекаю 🙂")


async def followups_stored(db: asyncpg.Pool, chat: int) -> list[tuple[str, list[str]]]:
    rows = await db.fetch("SELECT content, tags FROM messages WHERE session_id = $1 AND 'followup' = ANY(tags) "
                          "ORDER BY created_at", str(chat))
    return [(r["content"], r["tags"]) for r in rows]


async def test_a_silent_customer_gets_a_nudge_after_each_delay_and_no_more(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    chat = 1101
    await conversation(db, chat, DELIVERY, at(10))
    await followups.sweep(at(13, 59))
    assert wire.telegram.sent_to(chat) == []
    assert (await followups.sweep(at(14)))["sent"] == 1
    await followups.sweep(at(14, 5))
    assert wire.telegram.sent_to(chat) == [ASK_DELIVERY]
    await followups.sweep(at(8, 59, day=1))
    assert len(wire.telegram.sent_to(chat)) == 1
    await followups.sweep(at(9, day=1))  # 23 hours after the customer's message, not after the first nudge
    await followups.sweep(at(10, day=2))
    await followups.sweep(at(12, day=5))
    assert wire.telegram.sent_to(chat) == [ASK_DELIVERY, ASK_DELIVERY]
    assert await followups_stored(db, chat) == [(ASK_DELIVERY, ["followup", "followup:delivery_data"])] * 2


@pytest.mark.parametrize(("state", "expected"), [
    ({"current_state": "STATE_1_DISCOVERY", "dialog_phase": "DISCOVERY"}, "допоможу вибрати"),
    ({"current_state": "STATE_3_SIZE_COLOR", "dialog_phase": "DISCOVERY"}, "Напишіть, будь ласка, зріст дитини"),
    ({"current_state": "STATE_4_OFFER", "dialog_phase": "OFFER_MADE",
      "selected_products": [{"name": "Костюм Мерея", "size": "110"}, {"name": "Костюм Мерея", "size": "116"}]},
     "Ще думаєте над Костюм Мерея?"),
    ({"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_PAYMENT_PROOF"},
     "Нагадую про оплату"),
])
async def test_the_nudge_speaks_to_where_the_customer_stopped(
    wire: Wire, db: asyncpg.Pool, followups: Followups, state: dict[str, Any], expected: str
) -> None:
    chat = 1110
    await conversation(db, chat, state, at(10))
    await followups.sweep(at(14))
    [text] = wire.telegram.sent_to(chat)
    assert expected in text


async def test_a_customer_who_answers_in_between_receives_none(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    replied, waiting_for_us = 1121, 1122
    await conversation(db, replied, DELIVERY, at(10))
    await say(db, replied, "user", at(13), "А можна ще уточнити розмір?")
    await say(db, replied, "assistant", at(13, 1), "Звісно!")
    await conversation(db, waiting_for_us, DELIVERY, at(10), answered=False)
    await followups.sweep(at(14))
    await followups.sweep(at(16, 59))
    assert wire.telegram.sent_to(replied) == [] and wire.telegram.sent_to(waiting_for_us) == []
    await followups.sweep(at(17))  # four hours after the customer's latest message
    assert wire.telegram.sent_to(replied) == [ASK_DELIVERY]
    assert wire.telegram.sent_to(waiting_for_us) == []


async def test_no_nudge_after_the_end_a_complaint_an_upsell_the_greeting_or_a_completed_order(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    quiet_ones = {
        1131: {"current_state": "STATE_7_END", "dialog_phase": "COMPLETED"},
        1132: {"current_state": "STATE_8_COMPLAINT", "dialog_phase": "DISCOVERY"},
        1133: {"current_state": "STATE_6_UPSELL", "dialog_phase": "OFFER_MADE"},
        1134: {"current_state": "STATE_0_INIT", "dialog_phase": "INIT"},
        1135: {**DELIVERY, "dialog_phase": "COMPLETED"},
        1136: DELIVERY,  # ordered after writing
    }
    ordered_earlier = 1137  # an old order does not count: this one is mid-way through a new purchase
    for chat, state in quiet_ones.items():
        await conversation(db, chat, state, at(10))
    await conversation(db, ordered_earlier, DELIVERY, at(10))
    for chat, when in ((1136, at(10, 1)), (ordered_earlier, at(9))):
        await db.execute("INSERT INTO orders (user_id, session_id, total_amount, created_at) VALUES ($1, $1, 1250, $2)",
                         str(chat), when)
    await followups.sweep(at(14))
    await followups.sweep(at(9, day=1))
    assert {chat: wire.telegram.sent_to(chat) for chat in quiet_ones} == dict.fromkeys(quiet_ones, [])
    assert wire.telegram.sent_to(ordered_earlier) == [ASK_DELIVERY, ASK_DELIVERY]


async def test_no_nudge_while_a_manager_handles_the_chat(wire: Wire, db: asyncpg.Pool, followups: Followups) -> None:
    chat = 1141
    await conversation(db, chat, DELIVERY, at(10))
    await db.execute("UPDATE agent_sessions SET human_since = $2 WHERE session_id = $1", str(chat), at(11))
    await followups.sweep(at(14))
    assert wire.telegram.sent_to(chat) == []
    await db.execute("UPDATE agent_sessions SET human_since = NULL WHERE session_id = $1", str(chat))
    await followups.sweep(at(14, 5))
    assert wire.telegram.sent_to(chat) == [ASK_DELIVERY]


async def test_a_customer_who_blocked_the_bot_is_marked_and_never_tried_again(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    chat = 1151
    await conversation(db, chat, DELIVERY, at(10))
    wire.telegram.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert (await followups.sweep(at(14)))["blocked"] == 1
    assert await db.fetchval("SELECT blocked_at IS NOT NULL FROM users WHERE external_id = $1", str(chat))
    await followups.sweep(at(9, day=1))
    await followups.sweep(at(15, day=1))
    attempts = [c for c in wire.telegram.calls_of("sendMessage") if int(c.params["chat_id"]) == chat]
    assert len(attempts) == 1 and await queued_for_managers(db) == []  # nor are the managers told
    assert await followups_stored(db, chat) == []


async def test_a_nudge_due_at_night_is_sent_in_the_morning(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    chat = 1161
    await conversation(db, chat, DELIVERY, at(18))
    assert (await followups.sweep(at(22)))["deferred"] == 1
    await followups.sweep(at(3, day=1))
    await followups.sweep(at(8, 59, day=1))
    assert wire.telegram.sent_to(chat) == []
    await followups.sweep(at(9, day=1))
    assert wire.telegram.sent_to(chat) == [ASK_DELIVERY]
    sent_at = await db.fetchval("SELECT created_at FROM messages WHERE 'followup' = ANY(tags) AND session_id = $1",
                                str(chat))
    assert sent_at.astimezone(KYIV).time() == time(9)


async def test_managers_are_alerted_once_when_an_order_stalls_after_the_last_nudge(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    stalled, browsing = 1171, 1172
    await conversation(db, stalled, DELIVERY, at(10))
    await conversation(db, browsing, {"current_state": "STATE_1_DISCOVERY", "dialog_phase": "DISCOVERY"}, at(10))
    for moment in (at(14), at(9, day=1), at(12, 59, day=1)):
        await followups.sweep(moment)
    assert await queued_for_managers(db) == []
    assert await attention(db, stalled) == 0
    assert (await followups.sweep(at(13, day=1)))["alerted"] == 1  # four quiet hours after the last nudge
    await followups.sweep(at(18, day=1))
    [(about, alert)] = await queued_for_managers(db)  # the group's queue delivers it: tests/test_managers_alerts.py
    assert about == str(stalled)  # in the customer's topic, or a reply to the last message about them
    assert "Оксана Коваль" in alert and str(stalled) in alert and "дані для доставки" in alert
    assert len(wire.telegram.sent_to(stalled)) == 2 and len(wire.telegram.sent_to(browsing)) == 2
    assert await attention(db, stalled) == 1  # the CRM chat says so too


async def queued_for_managers(db: asyncpg.Pool) -> list[tuple[str | None, str]]:
    rows = await db.fetch("SELECT session_id, payload ->> 'text' AS text FROM managers_outbox ORDER BY id")
    return [(r["session_id"], r["text"]) for r in rows]


async def attention(db: asyncpg.Pool, chat: int) -> int:
    return await db.fetchval("SELECT count(*) FROM crm_chat_statuses WHERE session_id = $1 AND kind = 'attention'",
                             str(chat))


async def test_without_a_managers_chat_nobody_is_alerted(wire: Wire, db: asyncpg.Pool, followups: Followups) -> None:
    chat = 1181
    alone = dataclasses.replace(followups, rules=dataclasses.replace(RULES, alert_managers=False))
    await conversation(db, chat, DELIVERY, at(10))
    for moment in (at(14), at(9, day=1), at(13, day=1), at(20, day=1)):
        await alone.sweep(moment)
    assert len(wire.telegram.sent_to(chat)) == 2
    assert [c for c in wire.telegram.calls_of("sendMessage") if int(c.params["chat_id"]) != chat] == []
    assert await queued_for_managers(db) == []
