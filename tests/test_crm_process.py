"""The CRM through the real process and the contract-faithful fake Sitniks: a sale in Telegram ends as exactly one
order the CRM accepted (the chosen size's variation, price as a number, fullname and phone, branch, note) and the
CRM chat follows the conversation; a shipment in the CRM reaches the customer; without a key nothing is sent; a
process killed in the middle of a sync and restarted neither duplicates the order nor loses a status change."""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest_asyncio
from structlog.testing import capture_logs

from catalog.orders import place_order
from catalog.texts import load_texts
from config.shop import load_shop
from models.delivery import DeliveryPoint, PointKind
from models.orders import OrderLine, PaymentMethod, Recipient
from tests.fakes.sitniks import AI_MANAGER, HUMAN_MANAGER, FakeSitniks
from tests.harness import Wire, running_bot, spawn_bot
from tests.test_crm_sync import map_variations
from tests.test_sale import sales_script

MANAGERS = -100666
ORDERS, ORDER = "/open-api/orders", "/open-api/orders/{order_id}"
CHAT_STATUS = "/open-api/chats/{chat_id}/status"
SALE = [("Привіт", 1), ("Шукаю сукню доньці на 7 років, зріст 119", 1), ("рожевий", 1), ("Петренко Оксана, 12345", 1),
        ("0951234567, Київ, відділення 25", 1), ("так", 2), ("передоплата", 2)]


@pytest_asyncio.fixture
async def sitniks(db: asyncpg.Pool) -> AsyncIterator[FakeSitniks]:
    for table in ("crm_orders", "crm_chat_statuses", "crm_alerts", "sitniks_chat_mappings", "agent_sessions",
                  "job_runs", "crm_order_status_ids"):
        await db.execute(f"DELETE FROM {table}")  # each test's process syncs only what the test made
    await map_variations(db)
    fake = FakeSitniks()
    await fake.start()
    yield fake
    await fake.stop()


def crm_settings(sitniks: FakeSitniks) -> dict[str, Any]:
    return {"sitniks_api_url": sitniks.url, "sitniks_api_key": sitniks.api_key, "admin_chat_id": MANAGERS,
            "crm_sync_interval": "0.2s", "crm_retry_base": "0.2s", "crm_status_poll_interval": "0s",
            "sitniks_ai_manager": AI_MANAGER, "sitniks_human_manager": HUMAN_MANAGER}


async def sell(wire: Wire, chat: int) -> None:
    wire.openai.script = sales_script
    for text, bubbles in SALE:
        expected = len(wire.telegram.sent_to(chat)) + bubbles
        wire.telegram.send(chat, text)
        await wire.telegram.wait_for_messages(chat, expected)


def statuses(sitniks: FakeSitniks, chat_id: str) -> list[str]:
    return [r.json["status"] for r in sitniks.calls("PATCH", CHAT_STATUS) if r.params["chat_id"] == chat_id]


async def test_a_sale_reaches_the_crm_once_the_chat_follows_and_the_shipment_reaches_the_customer(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, demo_catalog: None  # noqa: F811
) -> None:
    chat = 4101
    sitniks.add_chat("tg-4101", "oksana_mama")  # the fake Telegram's customer
    polls = lambda: len(sitniks.calls("GET", ORDER))  # noqa: E731  (every sweep polls: the interval is 0)
    async with running_bot(wire, **crm_settings(sitniks)):
        await sell(wire, chat)
        await sitniks.wait_for(lambda: polls() > 0)  # created, then polled
        await sitniks.wait_for(lambda: sitniks.chat("tg-4101")["status"] == "Виставлено рахунок")
        await db.execute("UPDATE agent_sessions SET human_since = now() WHERE session_id = $1", str(chat))
        await sitniks.wait_for(lambda: sitniks.chat("tg-4101")["status"] == "AI Увага")
        [crm_id] = sitniks.orders
        sitniks.set_order_status(crm_id, "Відправлено", ttn="20450123456789")
        await wire.telegram.wait_for(lambda: "20450123456789" in "".join(wire.telegram.sent_to(chat)))
        seen = polls()
        await sitniks.wait_for(lambda: polls() >= seen + 3)  # three more sweeps: nothing is sent twice

    order = await db.fetchrow("SELECT * FROM orders WHERE session_id = $1", str(chat))
    assert len(sitniks.calls("POST", ORDERS)) == 1 and sitniks.refusals == []
    body = sitniks.bodies[crm_id]  # as the fake accepted it: its validation is the check
    assert body["externalId"] == order["idempotency_key"]
    assert body["client"] == {"fullname": "Петренко Оксана", "phone": "+380951234567"}
    assert body["products"] == [{"productVariationId": 8812, "title": "Сукня Анна", "price": 1850, "quantity": 1,
                                 "isUpsale": False}]  # 122-128, the size chosen for a girl of 119 cm
    assert (body["npDelivery"]["city"], body["npDelivery"]["department"]) == ("Київ", "Відділення №25")
    assert f"№{order['id']}" in body["managerComment"] and "передоплата 200 грн" in body["managerComment"]
    assert body["payment"] == {"amount": 200}
    outbox = await db.fetchrow("SELECT * FROM crm_orders WHERE order_id = $1", order["id"])
    assert outbox["crm_order_id"] == crm_id and outbox["status"] == "shipped"
    assert order["status"] == "shipped"

    assert statuses(sitniks, "tg-4101") == ["Взято в роботу", "Виставлено рахунок", "AI Увага"]
    shipped = load_shop(None).text("shipped", order=order["id"], tracking="20450123456789")
    assert wire.telegram.sent_to(chat).count(shipped) == 1 and wire.telegram.sent_to(chat)[-1] == shipped


async def test_without_a_key_nothing_is_sent_orders_stay_local_and_the_managers_get_them(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, demo_catalog: None  # noqa: F811
) -> None:
    chat = 4201
    with capture_logs() as logs:
        async with running_bot(wire, admin_chat_id=MANAGERS, sitniks_api_url=sitniks.url, crm_sync_interval="0.1s"):
            await sell(wire, chat)
            wire.telegram.send(chat, photo="payment-screenshot")  # the managers hear of the order with its payment
            await wire.telegram.wait_for(lambda: any("Оплату отримала" in t for t in wire.telegram.sent_to(chat)))
    assert [line["event"] for line in logs].count("crm_disabled") == 1
    assert sitniks.requests == []
    order = await db.fetchrow("SELECT * FROM orders WHERE session_id = $1", str(chat))
    assert await db.fetchval("SELECT status FROM crm_orders WHERE order_id = $1", order["id"]) == "pending"
    assert any(f"№{order['id']}" in alert for alert in wire.telegram.sent_to(MANAGERS))
    assert await db.fetchval("SELECT count(*) FROM job_runs WHERE job = 'crm_sync'") == 0


async def test_killed_in_the_middle_of_a_sync_then_restarted_no_duplicate_and_no_lost_status(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, demo_catalog: None, tmp_path: Path  # noqa: F811
) -> None:
    chat = 4301
    await db.execute("INSERT INTO users (external_id, username) VALUES ($1, 'killed_mama')", str(chat))
    await db.execute("INSERT INTO agent_sessions (session_id, state) VALUES ($1, $2)", str(chat),
                     {"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_PAYMENT_METHOD"})
    placed = await place_order(
        db, load_texts(), user_id=str(chat), session_id=str(chat), update_id=None,
        lines=[OrderLine("MIRT-ANNA", "122-128", "рожевий")], payment_method=PaymentMethod.FULL,
        recipient=Recipient("Петренко Оксана", "+380951234567", "Київ", DeliveryPoint(PointKind.BRANCH, 25)))
    sitniks.add_chat("tg-4301", "killed_mama")
    answer = sitniks.hold("POST", ORDERS)  # the CRM stores the order, and the process dies before the answer

    first = spawn_bot(wire, tmp_path / "first.log", **crm_settings(sitniks))
    await sitniks.wait_for(lambda: bool(sitniks.calls("POST", ORDERS)), timeout=60)
    first.process.kill()
    assert await first.exit_code() == -signal.SIGKILL
    assert statuses(sitniks, "tg-4301") == ["Взято в роботу"]  # pushed before the order, in the killed sweep

    # While the bot is down the customer got the requisites and the shop shipped the order in the CRM.
    await db.execute("UPDATE agent_sessions SET state = $2 WHERE session_id = $1", str(chat),
                     {"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_PAYMENT_PROOF"})
    [crm_id] = sitniks.orders
    sitniks.set_order_status(crm_id, "Відправлено")
    answer.set()

    second = spawn_bot(wire, tmp_path / "second.log", **crm_settings(sitniks))
    await wire.telegram.wait_for_messages(chat, 1, timeout=60)
    await sitniks.wait_for(lambda: len(statuses(sitniks, "tg-4301")) == 2, timeout=30)
    second.process.send_signal(signal.SIGTERM)
    assert await second.exit_code() == 0, second.output()

    assert len(sitniks.calls("POST", ORDERS)) == 1 and list(sitniks.orders) == [crm_id]
    outbox = await db.fetchrow("SELECT * FROM crm_orders WHERE order_id = $1", placed.order.id)
    assert outbox["crm_order_id"] == crm_id and outbox["status"] == "shipped"
    assert statuses(sitniks, "tg-4301") == ["Взято в роботу", "Виставлено рахунок"]
    assert wire.telegram.sent_to(chat) == [load_shop(None).text("shipped_without_tracking", order=placed.order.id)]
    runs = [r["outcome"] for r in await db.fetch("SELECT outcome FROM job_runs WHERE job = 'crm_sync'")]
    assert "abandoned" in runs  # the killed run, closed by the restarted process
    logs = first.output() + second.output()
    assert sitniks.api_key not in logs and "951234567" not in logs
    assert all(json.loads(line).get("event") != "job_failed" for line in logs.splitlines() if line.startswith("{"))


async def test_a_crm_refusal_quoting_the_customer_is_logged_without_their_name_or_city(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, demo_catalog: None, tmp_path: Path  # noqa: F811
) -> None:
    """A sweep's log line about one order hides that order's recipient name and city, as a turn's lines do: a CRM
    refusal may quote the body it refused (NestJS's validation answer: statusCode, message list, error)."""
    chat = 4401

    def refuses(request: Any) -> tuple[int, dict[str, Any]]:
        client = request.json["client"]
        return 400, {"statusCode": 400, "error": "Bad Request", "message": [
            f"client {client['fullname']} ({request.json['npDelivery']['city']}) is blocked in this shop"]}

    sitniks.route("POST", ORDERS, refuses)
    child = spawn_bot(wire, tmp_path / "bot.log", log_format="json", **crm_settings(sitniks))
    try:
        await sell(wire, chat)
        await wire.telegram.wait_for(lambda: '"crm_order_rejected"' in child.output(), timeout=60)
    finally:
        child.process.send_signal(signal.SIGTERM)
        assert await child.exit_code() == 0
    text = child.output()
    assert "is blocked in this shop" in text  # the refusal did reach the log
    for private in ("Петренко", "Оксан", "Київ"):
        assert private not in text, private
