"""Orders: totals from the catalog in Decimal, snapshots, one order per request, statuses, the pending CRM row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from importlib import resources
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from catalog.importer import import_file
from catalog.orders import PlacedOrder, change_status, place_order
from catalog.texts import Rejected, Text, Texts, load_texts
from models.delivery import DeliveryPoint, PointKind
from models.orders import OrderLine, OrderStatus, PaymentMethod, Recipient
from storage.orders import orders_of_user

DEMO = Path(str(resources.files("catalog") / "demo.yaml"))
RECIPIENT = Recipient("Петренко Олена", "+380951234567", "Київ", DeliveryPoint(PointKind.BRANCH, 25))
CART = [OrderLine("MIRT-LAGUNA", "110-116", "рожевий", 2), OrderLine("MIRT-ANNA", "122-128", "Малина", 1),
        OrderLine("MIRT-LAGUNA", "146-152", "сірий", 1)]


@pytest.fixture(scope="module")
def texts() -> Texts:
    return load_texts()


@pytest_asyncio.fixture(autouse=True)
async def demo_catalog(db: asyncpg.Pool) -> AsyncIterator[None]:
    await db.execute("TRUNCATE products, orders, crm_orders RESTART IDENTITY CASCADE")
    await import_file(db, DEMO)
    yield


async def order(db: asyncpg.Pool, texts: Texts, lines: list[OrderLine] = CART, update_id: int | None = 501,
                session_id: str = "chat-1") -> PlacedOrder:
    return await place_order(db, texts, user_id="u-1", session_id=session_id, update_id=update_id, lines=lines,
                             recipient=RECIPIENT, payment_method=PaymentMethod.PREPAYMENT)


async def test_total_is_computed_from_the_catalog_price_of_each_size(db: asyncpg.Pool, texts: Texts) -> None:
    placed = await order(db, texts)
    assert placed.created
    items = {(i.sku, i.size): i for i in placed.order.items}
    assert items[("MIRT-LAGUNA", "110-116")].price == Decimal("1990.00")
    assert items[("MIRT-LAGUNA", "146-152")].price == Decimal("2390.00")
    assert items[("MIRT-ANNA", "122-128")].color == "малина"  # the catalog's spelling is kept
    assert placed.order.total == Decimal("8220.00")  # 2 × 1990 + 1850 + 2390
    assert isinstance(placed.order.total, Decimal)
    stored = await db.fetchrow("SELECT total_amount, delivery_address, delivery_point_kind, delivery_point_number,"
                               " payment_method, status FROM orders")
    assert dict(stored) == {"total_amount": Decimal("8220.00"), "delivery_address": "Відділення №25",
                            "delivery_point_kind": "branch", "delivery_point_number": 25,
                            "payment_method": "prepayment", "status": "new"}


async def test_names_and_prices_are_snapshotted(db: asyncpg.Pool, texts: Texts, tmp_path: Path) -> None:
    placed = await order(db, texts)
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(DEMO.read_text(encoding="utf-8").replace("Костюм Лагуна", "Костюм Лагуна 2.0")
                       .replace("110-116: 1990", "110-116: 2090"), encoding="utf-8")
    await import_file(db, renamed)
    again = (await orders_of_user(db, "u-1"))[0]
    assert again == placed.order
    assert {i.product_name for i in again.items} == {"Костюм Лагуна", "Сукня Анна"}


async def test_the_same_request_twice_makes_one_order(db: asyncpg.Pool, texts: Texts) -> None:
    first = await order(db, texts)
    retried = await order(db, texts, lines=list(reversed(CART)))  # the same cart, listed differently
    assert (first.created, retried.created) == (True, False)
    assert retried.order == first.order
    concurrent = await asyncio.gather(*(order(db, texts, update_id=777) for _ in range(4)))
    assert sum(p.created for p in concurrent) == 1
    assert len({p.order.id for p in concurrent}) == 1
    assert await db.fetchval("SELECT count(*) FROM orders") == 2
    assert await db.fetchval("SELECT count(*) FROM crm_orders") == 2


async def test_a_pending_crm_row_carries_the_order(db: asyncpg.Pool, texts: Texts) -> None:
    placed = await order(db, texts)
    row = await db.fetchrow("SELECT * FROM crm_orders")
    assert row["order_id"] == placed.order.id and row["status"] == "pending"
    assert row["external_id"] == placed.order.idempotency_key and row["session_id"] == "chat-1"
    data = row["order_data"]
    assert data["total"] == "8220.00" and data["currency"] == "UAH"
    assert data["customer"] == {"name": "Петренко Олена", "phone": "+380951234567", "city": "Київ"}
    assert data["delivery"]["kind"] == "branch" and data["delivery"]["number"] == 25
    assert [(i["sku"], i["size"], i["quantity"], i["price"]) for i in data["items"]] == [
        ("MIRT-ANNA", "122-128", 1, "1850.00"), ("MIRT-LAGUNA", "110-116", 2, "1990.00"),
        ("MIRT-LAGUNA", "146-152", 1, "2390.00")]


@pytest.mark.parametrize("line, reason, said", [
    (OrderLine("MIRT-ANNA", "80-92", "малина"), Text.ORDER_SIZE_UNAVAILABLE,
     "Розміру 80-92 у моделі «Сукня Анна» немає. Є розміри 110-116, 122-128, 134-140, 146-152, 158-164."),
    (OrderLine("MIRT-MEREIA", "122-128", "білий"), Text.ORDER_COLOUR_UNAVAILABLE,
     "Кольору «білий» у моделі «Костюм Мерея» немає. Є кольори молочний."),
    (OrderLine("MIRT-ANNA", "122-128"), Text.ORDER_COLOUR_REQUIRED, None),
    (OrderLine("MIRT-ANNA", "122-128", "малина", 0), Text.ORDER_QUANTITY_INVALID, None),
    (OrderLine("NO-SUCH", "122-128"), Text.ORDER_PRODUCT_UNKNOWN, None),
])
async def test_a_selection_the_catalog_cannot_fill_is_refused_and_nothing_written(
        db: asyncpg.Pool, texts: Texts, line: OrderLine, reason: Text, said: str | None) -> None:
    with pytest.raises(Rejected) as caught:
        await order(db, texts, lines=[CART[0], line])
    assert caught.value.text is reason
    if said:
        assert texts.say(caught.value) == said
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert await db.fetchval("SELECT count(*) FROM crm_orders") == 0


async def test_a_retired_product_cannot_be_ordered(db: asyncpg.Pool, texts: Texts) -> None:
    await db.execute("UPDATE products SET is_active = false WHERE sku = 'MIRT-ANNA'")
    with pytest.raises(Rejected) as caught:
        await order(db, texts)
    assert texts.say(caught.value) == "Модель «Сукня Анна», на жаль, зараз недоступна для замовлення."


async def test_status_moves_new_paid_shipped_and_refuses_the_rest(db: asyncpg.Pool, texts: Texts) -> None:
    placed = (await order(db, texts)).order
    with pytest.raises(Rejected) as caught:
        await change_status(db, placed.id, OrderStatus.SHIPPED)
    assert texts.say(caught.value) == f"Замовлення №{placed.id} нове, його не можна зробити «відправлене»."
    assert (await change_status(db, placed.id, OrderStatus.PAID)).status is OrderStatus.PAID
    assert (await change_status(db, placed.id, OrderStatus.PAID)).status is OrderStatus.PAID  # a repeat is a no-op
    assert (await change_status(db, placed.id, OrderStatus.SHIPPED)).status is OrderStatus.SHIPPED
    for refused in (OrderStatus.CANCELLED, OrderStatus.NEW, OrderStatus.PAID):
        with pytest.raises(Rejected):
            await change_status(db, placed.id, refused)
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", placed.id) == "shipped"

    other = (await order(db, texts, update_id=502)).order
    assert (await change_status(db, other.id, OrderStatus.CANCELLED)).status is OrderStatus.CANCELLED
    with pytest.raises(Rejected):
        await change_status(db, other.id, OrderStatus.PAID)
    with pytest.raises(Rejected) as missing:
        await change_status(db, 999_999, OrderStatus.PAID)
    assert missing.value.text is Text.ORDER_NOT_FOUND


async def test_a_customers_orders_newest_first(db: asyncpg.Pool, texts: Texts) -> None:
    first = (await order(db, texts, update_id=1)).order
    second = (await order(db, texts, lines=[CART[1]], update_id=2)).order
    assert [o.id for o in await orders_of_user(db, "u-1")] == [second.id, first.id]
    assert second.total == Decimal("1850.00")
