"""The CRM order sweep against the contract-faithful fake Sitniks and real Postgres, run with chosen times: the body
the CRM accepts, retries and their backoff (capped), a timeout after the CRM did its work (with and without a working
?externalId= filter), a lookup that fails; and the fixtures and helpers the other CRM tests share (a fake Sitniks per
test, a sweep with chosen settings, an order placed, its outbox row, the managers' alerts).
Rejections, a refused key, held and poison rows: tests/test_crm_refusals.py; statuses and shipping notices:
tests/test_crm_statuses.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from bot.app import make_bot
from catalog.orders import place_order
from catalog.texts import load_texts
from config.shop import load_shop
from crm.sync import CrmSync, crm_sweep, open_sitniks
from models.delivery import DeliveryPoint, PointKind
from models.orders import Order, OrderLine, PaymentMethod, Recipient
from tests.fakes.sitniks import AI_MANAGER, HUMAN_MANAGER, FakeSitniks
from tests.harness import Wire

MANAGERS = -100555
ORDERS = "/open-api/orders"
T0 = datetime.now(UTC)


ANNA_VARIATIONS = {"110-116": 8811, "122-128": 8812, "134-140": 8813, "146-152": 8814, "158-164": 8815}


@pytest_asyncio.fixture
async def sitniks(db: asyncpg.Pool) -> AsyncIterator[FakeSitniks]:
    for table in ("crm_orders", "crm_chat_statuses", "crm_alerts", "sitniks_chat_mappings", "agent_sessions",
                  "crm_order_status_ids", "managers_outbox"):
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


async def map_variations(db: asyncpg.Pool, sku: str = "MIRT-ANNA", ids: dict[str, int] | None = None) -> None:
    await db.execute("UPDATE products SET crm_variation_ids = $2 WHERE sku = $1", sku,
                     ANNA_VARIATIONS if ids is None else ids)


async def an_order(db: asyncpg.Pool, chat: int, mapped: bool = True,
                   payment: PaymentMethod = PaymentMethod.PREPAYMENT) -> Order:
    if mapped:
        await map_variations(db)
    recipient = Recipient("Петренко Оксана", "+380951234567", "Київ", DeliveryPoint(PointKind.BRANCH, 25))
    placed = await place_order(db, load_texts(), user_id=str(chat), session_id=str(chat), update_id=chat,
                               lines=[OrderLine("MIRT-ANNA", "122-128", "рожевий", 2)], recipient=recipient,
                               payment_method=payment)
    return placed.order


async def outbox(db: asyncpg.Pool, order: Order) -> asyncpg.Record:
    return await db.fetchrow("SELECT * FROM crm_orders WHERE order_id = $1", order.id)


async def alerts(db: asyncpg.Pool) -> list[str]:
    """The CRM alerts queued for the managers' group (its queue's sender delivers them: tests/test_managers_alerts)."""
    rows = await db.fetch("SELECT payload ->> 'text' AS text FROM managers_outbox WHERE session_id IS NULL ORDER BY id")
    return [r["text"] for r in rows]


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
    assert await alerts(db) == []


async def test_the_backoff_stops_growing_at_crm_retry_max(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    await an_order(db, 3011)
    sitniks.fail("POST", ORDERS, 503, times=6)
    sync = crm(wire, db, sitniks, stack, crm_retry_max="30s")
    posts = lambda: len(sitniks.calls("POST", ORDERS))  # noqa: E731
    # 10 s, 20 s, then never more than 30 s: without the ceiling the waits would be 40 s and 80 s.
    for sweep_at, expected_posts in [(0, 1), (10, 2), (30, 3), (60, 4), (90, 5), (120, 6), (150, 7)]:
        await sync.sweep(T0 + timedelta(seconds=sweep_at))
        assert posts() == expected_posts, sweep_at
    assert len(sitniks.orders) == 1


async def test_the_body_has_the_public_shape_and_the_crm_accepts_it(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3002)
    sync = crm(wire, db, sitniks, stack)
    await sync.sweep(T0)
    assert sitniks.refusals == []
    [(crm_id, body)] = sitniks.bodies.items()
    assert body["externalId"] == order.idempotency_key
    assert body["client"] == {"fullname": "Петренко Оксана", "phone": "+380951234567"}
    assert body["products"] == [{"productVariationId": 8812, "title": "Сукня Анна", "price": 1850, "quantity": 2,
                                 "isUpsale": False}]
    assert body["npDelivery"]["integrationNovaposhtaId"] == 3071
    assert (body["npDelivery"]["city"], body["npDelivery"]["department"]) == ("Київ", "Відділення №25")
    assert body["payment"] == {"amount": 200}  # the prepayment, a number
    note = body["managerComment"]
    assert f"№{order.id}" in note and "передоплата 200 грн" in note and "122-128, рожевий × 2" in note
    assert (await outbox(db, order))["crm_order_id"] == crm_id

    await an_order(db, 3012, payment=PaymentMethod.FULL)  # the integration id was read once, then cached
    await sync.sweep(T0 + timedelta(seconds=1))
    assert len(sitniks.bodies) == 2 and sitniks.refusals == []
    assert list(sitniks.bodies.values())[1]["payment"] == {"amount": 3700}
    assert len(sitniks.calls("GET", "/open-api/integrations/nova-poshta/api-keys")) == 1


@pytest.mark.parametrize("filter_works", [True, False])
async def test_a_timeout_after_the_crm_created_the_order_is_found_not_sent_again(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None,  # noqa: F811
    filter_works: bool,
) -> None:
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    for n in range(60):  # the shop's newer orders: a CRM ignoring ?externalId= answers these first, over two pages
        sitniks.orders[str(n)] = {"id": n, "externalId": f"site-{n}", "status": {"id": 1, "title": "Нові заявки"},
                                  "createdAt": later}
    sitniks.ignores_external_id_filter = not filter_works
    order = await an_order(db, 3003 if filter_works else 3013)
    answer = sitniks.hold("POST", ORDERS)  # the CRM stores the order, then does not answer in time
    sync = crm(wire, db, sitniks, stack, crm_timeout="0.3s")
    await sync.sweep(T0)
    row = await outbox(db, order)
    assert row["status"] == "queued" and "timeout" in row["error_message"]
    answer.set()
    for seconds in (10, 20, 40, 80):
        await sync.sweep(T0 + timedelta(seconds=seconds))
    [ours] = [crm_id for crm_id, o in sitniks.orders.items() if o["externalId"] == order.idempotency_key]
    row = await outbox(db, order)
    assert row["status"] == "created" and row["crm_order_id"] == ours
    assert len(sitniks.calls("POST", ORDERS)) == 1 and len(sitniks.bodies) == 1
    listed = [c.query for c in sitniks.calls("GET", ORDERS) if "createdAtFrom" in c.query]
    assert bool(listed) is not filter_works  # listed (every page) only when the filter answered other orders
    if listed:
        assert [q["skip"] for q in listed] == ["0", "50"]


async def test_a_lookup_that_fails_is_a_retry_not_a_rejection(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3014)
    answer = sitniks.hold("POST", ORDERS)
    sync = crm(wire, db, sitniks, stack, crm_timeout="0.3s")
    await sync.sweep(T0)
    answer.set()
    sitniks.fail("GET", ORDERS, 400, times=2)  # the filter refused, then the listing too
    await sync.sweep(T0 + timedelta(seconds=10))
    row = await outbox(db, order)
    assert row["status"] == "queued" and "lookup" in row["error_message"] and await alerts(db) == []
    await sync.sweep(T0 + timedelta(seconds=30))
    row = await outbox(db, order)
    assert row["status"] == "created" and len(sitniks.orders) == 1 and len(sitniks.calls("POST", ORDERS)) == 1
