"""Order statuses from the CRM against the contract-faithful fake Sitniks and real Postgres: statuses map by the
shop's own list (by id, so a renamed status still maps; the list is read daily), and "shipped" tells the customer
once, with the tracking number wherever the CRM puts it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import asyncpg
import pytest
from structlog.testing import capture_logs

from config.shop import load_shop
from tests.fakes.sitniks import FakeSitniks
from tests.harness import Wire
from tests.test_crm_sync import T0, an_order, crm, outbox, sitniks, stack  # noqa: F401  (fixtures)


async def test_a_status_the_shop_renamed_still_maps_by_its_id_and_the_list_is_read_daily(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3009)
    sync = crm(wire, db, sitniks, stack)
    await sync.sweep(T0)
    await sync.sweep(T0 + timedelta(minutes=1))  # the first poll reads the shop's list and learns its ids
    sitniks.rename_status(3, "Передано в Нову пошту")
    crm_id = (await outbox(db, order))["crm_order_id"]
    sitniks.set_order_status(crm_id, "Передано в Нову пошту")
    await sync.sweep(T0 + timedelta(minutes=2))
    row = await outbox(db, order)
    assert row["status"] == "shipped" and row["metadata"]["crm_status"] == "Передано в Нову пошту"
    assert len(sitniks.calls("GET", "/open-api/orders/statuses")) == 1
    await crm(wire, db, sitniks, stack).sweep(T0 + timedelta(minutes=3))  # a restarted process: ids are kept
    assert (await outbox(db, order))["status"] == "shipped"
    sitniks.set_order_status(crm_id, "Отримано")
    await sync.sweep(T0 + timedelta(days=1, minutes=2))
    assert (await outbox(db, order))["status"] == "delivered"
    assert len(sitniks.calls("GET", "/open-api/orders/statuses")) == 3  # the restart's, and a day later


@pytest.mark.parametrize("place", [("npDelivery", "ttn"), ("ttn",), None])
async def test_shipped_in_the_crm_tells_the_customer_once(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None,  # noqa: F811
    place: tuple[str, ...] | None,
) -> None:
    chat = {None: 3302, ("ttn",): 3303}.get(place, 3301)
    ttn = "20450000000001" if place else None
    sitniks.ttn_place = place or ("ttn",)
    order = await an_order(db, chat)
    sync = crm(wire, db, sitniks, stack)
    await sync.sweep(T0)
    crm_id = (await outbox(db, order))["crm_order_id"]
    sitniks.set_order_status(crm_id, "Оплачено")
    await sync.sweep(T0 + timedelta(minutes=1))
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order.id) == "paid"
    sitniks.set_order_status(crm_id, "Відправлено", ttn=ttn)
    with capture_logs() as logs:
        for minutes in (2, 3, 4):
            await sync.sweep(T0 + timedelta(minutes=minutes))
    shop = load_shop(None)
    expected = (shop.text("shipped", order=order.id, tracking=ttn) if ttn
                else shop.text("shipped_without_tracking", order=order.id))
    assert wire.telegram.sent_to(chat) == [expected]
    row = await outbox(db, order)
    assert row["status"] == "shipped" and row["metadata"]["crm_status"] == "Відправлено"
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order.id) == "shipped"
    [keys] = [line for line in logs if line["event"] == "crm_shipped_order_keys"]  # once, at info
    assert keys["log_level"] == "info" and "npDelivery" in keys["order"]
    assert ("ttn" in keys[place[0] if len(place) == 2 else "order"]) if place else keys["tracking_found"] is False
    assert "+380951234567" not in str(keys)
    sitniks.set_order_status(crm_id, "Оплачено")  # a stale status never moves the order back
    await sync.sweep(T0 + timedelta(minutes=5))
    assert (await outbox(db, order))["status"] == "shipped"
