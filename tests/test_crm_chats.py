"""CRM chat statuses against the contract-faithful fake Sitniks: chats found by userNickName among every page of the
chats created within the search window (a returning customer's chat is old), statuses pushed in order each once,
and manager assignment only when the shop opts in (a failed assignment still leaves the status done)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import asyncpg

from storage.crm_chats import mark_for_attention
from tests.fakes.sitniks import FakeSitniks
from tests.harness import Wire
from tests.test_crm_sync import T0, alerts, crm, sitniks, stack  # noqa: F401  (fixtures)

CHAT_STATUS = "/open-api/chats/{chat_id}/status"


async def session(db: asyncpg.Pool, chat: int, username: str | None, phase: str, human: bool = False) -> None:
    await db.execute("INSERT INTO users (external_id, username) VALUES ($1, $2) ON CONFLICT (external_id) "
                     "DO UPDATE SET username = EXCLUDED.username", str(chat), username)
    await db.execute("INSERT INTO agent_sessions (session_id, state, human_since) VALUES ($1, $2, $3)",
                     str(chat), {"current_state": "STATE_1_DISCOVERY", "dialog_phase": phase},
                     T0 if human else None)


def statuses(sitniks: FakeSitniks, chat_id: str) -> list[str]:  # noqa: F811
    return [r.json["status"] for r in sitniks.calls("PATCH", CHAT_STATUS) if r.params["chat_id"] == chat_id]


async def test_chat_statuses_follow_the_conversation_in_order_each_once(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack  # noqa: F811
) -> None:
    await session(db, 3101, "browsing_mom", "DISCOVERY")
    await session(db, 3102, "paying_mom", "WAITING_FOR_PAYMENT_PROOF")
    await session(db, 3103, "upset_mom", "ESCALATED")
    await session(db, 3104, "handled_mom", "OFFER_MADE", human=True)
    await session(db, 3105, None, "DISCOVERY")  # no username: nothing to find the CRM chat by
    for n in range(70):  # other customers' chats, listed first: the CRM answers 50 a page
        sitniks.add_chat(f"other{n}", f"someone_{n}")
    for n, (name, days) in enumerate([("browsing_mom", 0), ("paying_mom", 3), ("upset_mom", 40),
                                      ("handled_mom", 300)], start=1):
        sitniks.chats.append({"id": f"c{n}", "userNickName": name, "status": "Нові заявки",
                                 "createdAt": (T0 - timedelta(days=days)).isoformat()})  # a returning customer's
    sync = crm(wire, db, sitniks, stack)
    for seconds in (0, 1, 120):
        await sync.sweep(T0 + timedelta(seconds=seconds))

    assert statuses(sitniks, "c1") == ["Взято в роботу"]
    assert statuses(sitniks, "c2") == ["Взято в роботу", "Виставлено рахунок"]
    assert statuses(sitniks, "c3") == ["Взято в роботу", "AI Увага"]
    assert statuses(sitniks, "c4") == ["Взято в роботу", "AI Увага"]
    assert {c.query["limit"] for c in sitniks.calls("GET", "/open-api/chats")} == {"50"}
    assert "50" in {c.query["skip"] for c in sitniks.calls("GET", "/open-api/chats")}  # paged past the first 50
    mapping = await db.fetchrow("SELECT * FROM sitniks_chat_mappings WHERE user_id = '3103'")
    assert mapping["sitniks_chat_id"] == "c3" and mapping["current_status"] == "AI Увага"
    assert mapping["telegram_username"] == "upset_mom" and mapping["sitniks_manager_id"] is None
    skipped = await db.fetchval("SELECT state FROM crm_chat_statuses WHERE session_id = '3105'")
    assert skipped == "skipped"
    # SITNIKS_ASSIGN_MANAGERS is off by default: no manager list, no assignment call.
    assert sitniks.calls("GET", "/open-api/managers") == [] and sitniks.calls("PATCH", "/open-api/chats/{c}") == []


async def test_with_assignment_on_a_crm_that_cannot_assign_the_status_is_still_done(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack  # noqa: F811
) -> None:
    await session(db, 3111, "assign_mom", "ESCALATED")
    sitniks.add_chat("a1", "assign_mom")
    sync = crm(wire, db, sitniks, stack, sitniks_assign_managers="true")
    await sync.sweep(T0)
    await sync.sweep(T0 + timedelta(minutes=30))
    assert statuses(sitniks, "a1") == ["Взято в роботу", "AI Увага"]  # each once: recorded done
    assert len(sitniks.calls("PATCH", "/open-api/chats/{chat_id}")) == 2  # tried, 404: the API has no such call
    states = await db.fetch("SELECT state FROM crm_chat_statuses WHERE session_id = '3111'")
    assert [r["state"] for r in states] == ["done", "done"] and await alerts(db) == []


async def test_a_chat_the_crm_does_not_list_yet_is_retried_and_its_later_statuses_wait(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack  # noqa: F811
) -> None:
    await session(db, 3201, "late_mom", "WAITING_FOR_PAYMENT_PROOF")
    sync = crm(wire, db, sitniks, stack, sitniks_ai_manager="Нема Такого", sitniks_assign_managers="true")
    await sync.sweep(T0)
    assert sitniks.calls("PATCH", CHAT_STATUS) == []
    sitniks.add_chat("late", "Late_Mom")
    await sync.sweep(T0 + timedelta(seconds=5))  # still waiting out the backoff
    assert sitniks.calls("PATCH", CHAT_STATUS) == []
    await sync.sweep(T0 + timedelta(seconds=10))
    await sync.sweep(T0 + timedelta(seconds=20))
    assert sitniks.chat("late")["status"] == "Виставлено рахунок"
    assert len(sitniks.calls("PATCH", CHAT_STATUS)) == 2
    [alert] = await alerts(db)  # the AI manager's name is unknown to the CRM: said once
    assert "Нема Такого" in alert


async def test_a_managers_alert_marks_the_crm_chat_for_attention_even_for_an_older_chat(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack  # noqa: F811
) -> None:
    await session(db, 3401, "quiet_mom", "WAITING_FOR_DELIVERY_DATA")
    await db.execute("UPDATE agent_sessions SET updated_at = now() - interval '3 days' WHERE session_id = '3401'")
    sitniks.add_chat("quiet", "quiet_mom")
    sync = crm(wire, db, sitniks, stack)
    await sync.sweep(T0)
    assert sitniks.calls("PATCH", CHAT_STATUS) == []  # older than CRM_CHAT_LOOKBACK
    await mark_for_attention(db, "3401", T0)  # what the follow-up sweep does when it alerts the managers
    await sync.sweep(T0 + timedelta(seconds=1))
    assert [r.json["status"] for r in sitniks.calls("PATCH", CHAT_STATUS)] == ["Взято в роботу", "AI Увага"]
