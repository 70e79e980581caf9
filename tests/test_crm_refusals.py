"""The CRM order sweep when the CRM or the order's own data refuses, against the contract-faithful fake Sitniks and
real Postgres: a refused body fails the order with the reason, a refused key stops the sweep until a new key, a 403
waits for the longest backoff, an unmapped size holds the order until the catalog maps it, and a poison row fails
alone; each alerts the managers once."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import asyncpg

from catalog.files import write_csv
from catalog.importer import import_file
from storage.products import load_products
from tests.fakes.sitniks import FakeSitniks
from tests.harness import Wire
from tests.test_crm_sync import (  # noqa: F401  (fixtures)
    ORDERS, T0, alerts, an_order, crm, map_variations, outbox, sitniks, stack,
)


async def test_a_refused_body_fails_the_order_with_the_reason_and_alerts_the_managers_once(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3004)
    await db.execute("UPDATE crm_orders SET order_data = jsonb_set(order_data, '{customer,name}', '\"Я\"') "
                     "WHERE order_id = $1", order.id)  # a name the CRM refuses
    sync = crm(wire, db, sitniks, stack)
    for minutes in (0, 10, 60):
        await sync.sweep(T0 + timedelta(minutes=minutes))
    row = await outbox(db, order)
    assert row["status"] == "failed" and "400" in row["error_message"] and "fullname" in row["error_message"]
    assert len(sitniks.calls("POST", ORDERS)) == 1 and sitniks.orders == {}
    [alert] = await alerts(db)
    assert f"№{order.id}" in alert and "fullname" in alert


async def test_a_refused_key_alerts_once_stops_trying_and_a_new_key_resumes(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    order = await an_order(db, 3005)
    wrong = crm(wire, db, sitniks, stack, sitniks_api_key="an-old-key")
    for minutes in (0, 5, 60, 600):
        await wrong.sweep(T0 + timedelta(minutes=minutes))
    assert len(sitniks.requests) == 1  # no hammering: one refused request, then nothing
    [alert] = await alerts(db)
    assert "SITNIKS_API_KEY" in alert and "an-old-key" not in alert
    assert (await outbox(db, order))["status"] == "queued"  # kept for when the key is fixed

    await crm(wire, db, sitniks, stack).sweep(T0 + timedelta(minutes=601))
    assert (await outbox(db, order))["status"] == "created" and len(sitniks.orders) == 1
    assert len(await alerts(db)) == 1


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
    [alert] = await alerts(db)
    assert "403" in alert


async def test_an_unmapped_size_holds_the_order_with_one_alert_until_the_catalog_maps_it(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    await map_variations(db, ids={"110-116": 8811})  # the shop mapped another size only
    order = await an_order(db, 3007, mapped=False)
    sync = crm(wire, db, sitniks, stack)
    for seconds in (0, 10, 20):
        await sync.sweep(T0 + timedelta(seconds=seconds))
    row = await outbox(db, order)
    assert row["status"] == "pending" and "122-128" in row["error_message"]
    assert sitniks.calls("POST", ORDERS) == []  # not sent half-right
    [alert] = await alerts(db)
    assert "Сукня Анна" in alert and "122-128" in alert and f"№{order.id}" in alert

    catalog = tmp_path / "catalog.csv"  # the shop exports, fills crm_variation_ids and imports the catalog
    write_csv(catalog, await load_products(db, active_only=False))
    text = catalog.read_text(encoding="utf-8").replace(",110-116:8811", ',"110-116:8811, 122-128:8812"')
    catalog.write_text(text, encoding="utf-8")
    assert (await import_file(db, catalog)).updated == 1
    await sync.sweep(T0 + timedelta(seconds=30))
    assert (await outbox(db, order))["status"] == "created"
    [body] = sitniks.bodies.values()
    assert body["products"][0]["productVariationId"] == 8812 and len(await alerts(db)) == 1


async def test_a_poison_row_fails_with_one_alert_and_the_good_order_is_sent_in_the_same_sweep(
    wire: Wire, db: asyncpg.Pool, sitniks: FakeSitniks, stack: AsyncExitStack, demo_catalog: None  # noqa: F811
) -> None:
    for external_id, data in [("poison-no-items", {"order_id": 901, "customer": {"name": "Петренко Оксана"}}),
                              ("poison-unknown", {"order_id": 902, "items": [{"sku": "NO-SUCH", "size": "122-128",
                                                                               "quantity": 1, "price": "10"}]})]:
        await db.execute("INSERT INTO crm_orders (session_id, external_id, order_data, created_at) "
                         "VALUES ('3008', $1, $2, now() - interval '1 minute')", external_id,
                         {**data, "external_id": external_id})
    good = await an_order(db, 3008)
    sync = crm(wire, db, sitniks, stack)
    counts = await sync.sweep(T0)
    assert counts["orders_failed"] == 2 and counts["orders_created"] == 1
    assert (await outbox(db, good))["status"] == "created" and len(sitniks.bodies) == 1
    reasons = dict(await db.fetch("SELECT external_id, error_message FROM crm_orders WHERE status = 'failed'"))
    assert "no items" in reasons["poison-no-items"] and "NO-SUCH" in reasons["poison-unknown"]
    await sync.sweep(T0 + timedelta(minutes=5))
    assert len(await alerts(db)) == 2 and any("poison-no-items" in a for a in await alerts(db))
