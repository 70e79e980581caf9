"""The CRM sync sweep against the fake Sitniks and real Postgres, run with chosen times: retries and their
backoff, a timeout after the CRM did its work, rejections, a refused key, chat statuses, shipping notices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from bot.app import make_bot
from bot.shop import load_shop
from catalog.customer_details import DeliveryPoint, PointKind
from catalog.order_model import Order, OrderLine, PaymentMethod, Recipient
from catalog.orders import place_order
from catalog.texts import load_texts
from crm.sync import CrmSync, crm_sweep, open_sitniks
from storage.crm import mark_for_attention
from tests.fakes.sitniks import AI_MANAGER, HUMAN_MANAGER, FakeSitniks
from tests.harness import Wire

MANAGERS = -100555
ORDERS, ORDER = "/open-api/orders", "/open-api/orders/{order_id}"
T0 = datetime.now(UTC)


@pytest_asyncio.fixture
async def sitniks(db: asyncpg.Pool) -> AsyncIterator[FakeSitniks]:
    for table in ("crm_orders", "crm_chat_statuses", "crm_alerts", "sitniks_chat_mappings", "agent_sessions"):
        await db.execute(f"DELETE FROM {table}")  # each test sweeps only what it made
    fake = FakeSitniks()
    await fake.start()
    yield fake
    await fake.stop()


@pytest_asyncio.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


def crm(wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, **overrides: Any) -> CrmSync:
    settings = wire.settings(**{
        "sitniks_api_url": sitniks.url, "sitniks_api_key": sitniks.api_key, "admin_chat_id": MANAGERS,
        "crm_retry_base": "10s", "crm_retry_max": "10m", "crm_status_poll_interval": "1m", "crm_timeout": "0.5s",
        "sitniks_ai_manager": AI_MANAGER, "sitniks_human_manager": HUMAN_MANAGER, **overrides})
    bot = make_bot(settings)
    stack.push_async_callback(bot.session.close)
    client = open_sitniks(settings, stack)
    assert client is not None
    return crm_sweep(settings, db, bot, load_shop(None), client)


async def an_order(db: asyncpg.Pool, chat: int) -> Order:
    recipient = Recipient("Петренко Оксана", "+380951234567", "Київ", DeliveryPoint(PointKind.BRANCH, 25))
    placed = await place_order(db, load_texts(), user_id=str(chat), session_id=str(chat), update_id=chat,
                               lines=[OrderLine("MIRT-ANNA", "122-128", "рожевий", 2)], recipient=recipient,
                               payment_method=PaymentMethod.PREPAYMENT)
    return placed.order


async def outbox(db: asyncpg.Pool, order: Order) -> asyncpg.Record:
    return await db.fetchrow("SELECT * FROM crm_orders WHERE order_id = $1", order.id)


def alerts(wire: Wire) -> list[str]:
    return wire.telegram.sent_to(MANAGERS)


async def test_503_three_times_then_200_creates_one_order_after_backoff(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3001)
    sitniks.fail("POST", ORDERS, 503, times=3)
    sync = crm(wire, db, sitniks, stack)
    posts = lambda: len(sitniks.calls("POST", ORDERS))  # noqa: E731
    # Each failure doubles the wait: 10 s, 20 s, 40 s; a sweep before the wait is over sends nothing.
    for sweep_at, expected_posts in [(0, 1), (9, 1), (10, 2), (29, 2), (30, 3), (69, 3), (70, 4)]:
        await sync.sweep(T0 + timedelta(seconds=sweep_at))
        assert posts() == expected_posts, sweep_at
    row = await outbox(db, order)
    assert row["status"] == "created" and row["attempts"] == 4
    assert list(sitniks.orders) == [row["crm_order_id"]]
    assert alerts(wire) == []


async def test_the_payload_carries_customer_delivery_items_total_and_payment(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3002)
    await db.execute("UPDATE products SET crm_product_id = 'crm-anna' WHERE sku = 'MIRT-ANNA'")
    await crm(wire, db, sitniks, stack).sweep(T0)
    [sent] = sitniks.orders.values()
    payload = sent["payload"]
    assert payload["externalId"] == order.idempotency_key and payload["source"] == "telegram"
    assert payload["client"] == {"fullName": "Петренко Оксана", "phone": "+380951234567"}
    assert payload["delivery"]["service"] == "nova_poshta" and payload["delivery"]["city"] == "Київ"
    assert payload["delivery"]["warehouseType"] == "branch" and payload["delivery"]["warehouseNumber"] == 25
    assert payload["products"] == [{"productId": "crm-anna", "sku": "MIRT-ANNA", "title": "Сукня Анна",
                                    "size": "122-128", "color": "рожевий", "quantity": 2, "price": "1850.00"}]
    assert Decimal(payload["totalPrice"]) == Decimal("3700.00") and payload["paymentMethod"] == "prepayment"
    assert f"№{order.id}" in payload["comment"] and "передоплата 200 грн" in payload["comment"]


async def test_a_timeout_after_the_crm_created_the_order_is_found_not_sent_again(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3003)
    answer = sitniks.hold("POST", ORDERS)  # the CRM stores the order, then does not answer in time
    sync = crm(wire, db, sitniks, stack, crm_timeout="0.3s")
    await sync.sweep(T0)
    assert len(sitniks.orders) == 1
    row = await outbox(db, order)
    assert row["status"] == "queued" and "timeout" in row["error_message"]
    answer.set()
    await sync.sweep(T0 + timedelta(seconds=10))
    row = await outbox(db, order)
    assert row["status"] == "created" and row["crm_order_id"] == next(iter(sitniks.orders))
    assert len(sitniks.calls("POST", ORDERS)) == 1 and len(sitniks.orders) == 1
    assert [c.query for c in sitniks.calls("GET", ORDERS)] == [{"externalId": order.idempotency_key}]


async def test_422_fails_the_order_with_the_reason_and_alerts_the_managers_once(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3004)
    sitniks.route("POST", ORDERS, lambda request: (422, {"message": "delivery.city is not a known city"}))
    sync = crm(wire, db, sitniks, stack)
    for minutes in (0, 10, 60):
        await sync.sweep(T0 + timedelta(minutes=minutes))
    row = await outbox(db, order)
    assert row["status"] == "failed" and "422" in row["error_message"] and "not a known city" in row["error_message"]
    assert len(sitniks.calls("POST", ORDERS)) == 1
    [alert] = alerts(wire)
    assert f"№{order.id}" in alert and "not a known city" in alert


async def test_a_refused_key_alerts_once_stops_trying_and_a_new_key_resumes(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3005)
    wrong = crm(wire, db, sitniks, stack, sitniks_api_key="an-old-key")
    for minutes in (0, 5, 60, 600):
        await wrong.sweep(T0 + timedelta(minutes=minutes))
    assert len(sitniks.requests) == 1  # no hammering: one refused request, then nothing
    [alert] = alerts(wire)
    assert "SITNIKS_API_KEY" in alert and "an-old-key" not in alert
    assert (await outbox(db, order))["status"] == "queued"  # kept for when the key is fixed

    await crm(wire, db, sitniks, stack).sweep(T0 + timedelta(minutes=601))
    assert (await outbox(db, order))["status"] == "created" and len(sitniks.orders) == 1
    assert len(alerts(wire)) == 1


async def test_403_alerts_once_and_the_order_waits_for_the_longest_backoff(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3006)
    sitniks.fail("POST", ORDERS, 403, times=2)
    sync = crm(wire, db, sitniks, stack)
    for minutes, posts in [(0, 1), (9, 1), (10, 2), (20, 3)]:
        await sync.sweep(T0 + timedelta(minutes=minutes))
        assert len(sitniks.calls("POST", ORDERS)) == posts
    assert (await outbox(db, order))["status"] == "created" and len(sitniks.orders) == 1
    [alert] = alerts(wire)
    assert "403" in alert


async def session(db: asyncpg.Pool, chat: int, username: str | None, phase: str, human: bool = False) -> None:
    await db.execute("INSERT INTO users (external_id, username) VALUES ($1, $2) ON CONFLICT (external_id) "
                     "DO UPDATE SET username = EXCLUDED.username", str(chat), username)
    await db.execute("INSERT INTO agent_sessions (session_id, state, human_since) VALUES ($1, $2, $3)",
                     str(chat), {"current_state": "STATE_1_DISCOVERY", "dialog_phase": phase},
                     T0 if human else None)


async def test_chat_statuses_follow_the_conversation_in_order_each_once(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack
) -> None:
    await session(db, 3101, "browsing_mom", "DISCOVERY")
    await session(db, 3102, "paying_mom", "WAITING_FOR_PAYMENT_PROOF")
    await session(db, 3103, "upset_mom", "ESCALATED")
    await session(db, 3104, "handled_mom", "OFFER_MADE", human=True)
    await session(db, 3105, None, "DISCOVERY")  # no username: nothing to find the CRM chat by
    for n, name in enumerate(["browsing_mom", "paying_mom", "upset_mom", "handled_mom"], start=1):
        sitniks.add_chat(f"c{n}", name)
    sync = crm(wire, db, sitniks, stack)
    for seconds in (0, 1, 120):
        await sync.sweep(T0 + timedelta(seconds=seconds))

    def statuses(chat_id: str) -> list[str]:
        return [r.json["status"] for r in sitniks.calls("PATCH", "/open-api/chats/{chat_id}/status")
                if r.params["chat_id"] == chat_id]

    def assigned(chat_id: str) -> list[int]:
        return [r.json["assignedManagerId"] for r in sitniks.calls("PATCH", "/open-api/chats/{chat_id}")
                if r.params["chat_id"] == chat_id]

    assert statuses("c1") == ["Взято в роботу"] and assigned("c1") == [11]
    assert statuses("c2") == ["Взято в роботу", "Виставлено рахунок"] and assigned("c2") == [11]
    assert statuses("c3") == ["Взято в роботу", "AI Увага"] and assigned("c3") == [11, 12]
    assert statuses("c4") == ["Взято в роботу", "AI Увага"] and assigned("c4") == [11, 12]
    mapping = await db.fetchrow("SELECT * FROM sitniks_chat_mappings WHERE user_id = '3103'")
    assert mapping["sitniks_chat_id"] == "c3" and mapping["current_status"] == "AI Увага"
    assert mapping["sitniks_manager_id"] == 12 and mapping["telegram_username"] == "upset_mom"
    skipped = await db.fetchval("SELECT state FROM crm_chat_statuses WHERE session_id = '3105'")
    assert skipped == "skipped"
    assert len(sitniks.calls("GET", "/open-api/managers")) == 1  # read once per sweep that needs it


async def test_a_chat_the_crm_does_not_list_yet_is_retried_and_its_later_statuses_wait(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack
) -> None:
    await session(db, 3201, "late_mom", "WAITING_FOR_PAYMENT_PROOF")
    sync = crm(wire, db, sitniks, stack, sitniks_ai_manager="Нема Такого")
    await sync.sweep(T0)
    assert sitniks.calls("PATCH", "/open-api/chats/{chat_id}/status") == []
    sitniks.add_chat("late", "Late_Mom")
    await sync.sweep(T0 + timedelta(seconds=5))  # still waiting out the backoff
    assert sitniks.calls("PATCH", "/open-api/chats/{chat_id}/status") == []
    await sync.sweep(T0 + timedelta(seconds=10))
    await sync.sweep(T0 + timedelta(seconds=20))
    assert sitniks.chat("late")["status"] == "Виставлено рахунок"
    assert len(sitniks.calls("PATCH", "/open-api/chats/{chat_id}/status")) == 2
    [alert] = alerts(wire)  # the AI manager's name is unknown to the CRM: said once
    assert "Нема Такого" in alert


@pytest.mark.parametrize("ttn", ["20450000000001", None])
async def test_shipped_in_the_crm_tells_the_customer_once(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None,  # noqa: F811
    ttn: str | None,
) -> None:
    chat = 3301 if ttn else 3302
    order = await an_order(db, chat)
    sync = crm(wire, db, sitniks, stack)
    await sync.sweep(T0)
    crm_id = (await outbox(db, order))["crm_order_id"]
    sitniks.set_order_status(crm_id, "Оплачено")
    await sync.sweep(T0 + timedelta(minutes=1))
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order.id) == "paid"
    sitniks.set_order_status(crm_id, "Відправлено", ttn=ttn)
    for minutes in (2, 3, 4):
        await sync.sweep(T0 + timedelta(minutes=minutes))
    shop = load_shop(None)
    expected = (shop.text("shipped", order=order.id, tracking=ttn) if ttn
                else shop.text("shipped_without_tracking", order=order.id))
    assert wire.telegram.sent_to(chat) == [expected]
    row = await outbox(db, order)
    assert row["status"] == "shipped" and row["metadata"]["crm_status"] == "Відправлено"
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order.id) == "shipped"
    sitniks.set_order_status(crm_id, "Оплачено")  # a stale status never moves the order back
    await sync.sweep(T0 + timedelta(minutes=5))
    assert (await outbox(db, order))["status"] == "shipped"


async def test_a_managers_alert_marks_the_crm_chat_for_attention_even_for_an_older_chat(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack
) -> None:
    await session(db, 3401, "quiet_mom", "WAITING_FOR_DELIVERY_DATA")
    await db.execute("UPDATE agent_sessions SET updated_at = now() - interval '3 days' WHERE session_id = '3401'")
    sitniks.add_chat("quiet", "quiet_mom")
    sync = crm(wire, db, sitniks, stack)
    await sync.sweep(T0)
    assert sitniks.calls("PATCH", "/open-api/chats/{chat_id}/status") == []  # older than CRM_CHAT_LOOKBACK
    await mark_for_attention(db, "3401", T0)  # what the follow-up sweep does when it alerts the managers
    await sync.sweep(T0 + timedelta(seconds=1))
    assert [r.json["status"] for r in sitniks.calls("PATCH", "/open-api/chats/{chat_id}/status")] == [
        "Взято в роботу", "AI Увага"]
    assert sitniks.chat("quiet")["assignedManagerId"] == 12
