"""Stock per size: a sold-out size is never offered, never put in a cart, never ordered (through the real bot
with a scripted model calling the tools), and two customers cannot both buy the last piece."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest_asyncio

from agent.state import CartLine, Customer, Phase, Stage
from agent.tools import Draft, SalesTools
from catalog.customer_details import load_cities
from catalog.finder import Catalog
from catalog.importer import import_file
from catalog.morphology import Morphology
from catalog.texts import load_texts
from catalog.vocabulary import load_vocabulary
from knowledge.file import load_knowledge
from knowledge.search import KnowledgeBase
from tests.fakes.openai_api import last_user_text
from tests.harness import Wire, running_bot
from tests.test_sale import call, say, tool_result

CATALOG = """sku;name;category;price;sizes;colors;stock
MIRT-ANNA;Сукня Анна;Сукні;1 850 грн;110-116, 122-128, 134-140;голубий, рожевий;122-128:0, 134-140:1
MIRT-RYTM;Костюм Ритм;Костюми;1975,00;122-128;;
"""


@pytest_asyncio.fixture
async def stock_catalog(db: asyncpg.Pool, tmp_path: Path) -> None:
    """Анна: 110-116 not counted, 122-128 sold out, one 134-140 left; Ритм not counted at all."""
    await db.execute("TRUNCATE products, orders, crm_orders RESTART IDENTITY CASCADE")
    path = tmp_path / "stock.csv"
    path.write_bytes(CATALOG.encode("cp1251"))
    await import_file(db, path)


def sold_out_script(request: dict[str, Any]) -> Any:
    """A model that follows the tools: it repeats what they say, sold out included."""
    text, result = last_user_text(request), tool_result(request)
    if "зріст 125" in text:
        if result is None:
            return call("search_products", query="сукня", height_cm=125)
        if "products" in result:
            anna = result["products"][0]
            assert anna["size_for_height"] is None  # the tools never hand the model a sold-out size
            return call("recommend_size", sku=anna["sku"], height_cm=125)
        return json.dumps({"bubbles": [result["sold_out"]], "next_state": "STATE_3_SIZE_COLOR",
                           "show_products": ["MIRT-ANNA"], "facts": []}, ensure_ascii=False)
    if "все одно 122-128" in text:
        if result is None:
            return call("set_cart", items=[{"sku": "MIRT-ANNA", "size": "122-128", "color": "рожевий"}])
        return say(result.get("error") or f"Записала, разом {result['total']} грн.", state="STATE_3_SIZE_COLOR")
    if "тоді 134-140" in text:
        if result is None:
            return call("set_cart", items=[{"sku": "MIRT-ANNA", "size": "134-140", "color": "рожевий"}])
        return say(f"Записала, разом {result['total']} грн.", state="STATE_5_PAYMENT_DELIVERY")
    return say("Вітаю! Який зріст дитини?", state="STATE_1_DISCOVERY")


async def test_a_sold_out_size_is_never_offered_and_the_cart_refuses_it(
        wire: Wire, db: asyncpg.Pool, stock_catalog: None) -> None:
    chat = 1501
    wire.openai.script = sold_out_script
    tg = wire.telegram
    async with running_bot(wire):
        tg.send(chat, "Сукня доньці, зріст 125")
        await tg.wait_for_messages(chat, 2)  # the words and Анна's card
        [card] = [c for c in tg.calls_of("sendMessage") if int(c.params["chat_id"]) == chat
                  and c.params.get("reply_markup")]
        for text, count in (("Хочу все одно 122-128", 3), ("Добре, тоді 134-140", 4)):
            tg.send(chat, text)
            await tg.wait_for_messages(chat, count)
    said = tg.sent_to(chat)
    assert said[0] == ("На зріст 125 см у моделі «Сукня Анна» підходить розмір 122-128, але його, на жаль, "
                       "розпродано. Є розмір 134-140 — трохи більший, на виріст. Або можу покликати менеджера — "
                       "підкаже, коли буде поставка.")
    buttons = [b["text"] for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "134-140" in buttons and "110-116" in buttons and "122-128" not in buttons
    assert said[2] == ("Розмір 122-128 моделі «Сукня Анна», на жаль, розпродано. Є розміри 110-116, 134-140 — "
                       "або покличу менеджера, він підкаже, коли буде поставка.")
    assert said[3] == "Записала, разом 1850 грн."
    state = await db.fetchval("SELECT state FROM agent_sessions WHERE session_id = $1", str(chat))
    assert [line["size"] for line in state["selected_products"]] == ["134-140"]


def draft(chat: int) -> Draft:
    customer = Customer(name="Петренко Олена", phone="+380951234567", city="Київ", point_kind="branch",
                        point_number=25, confirmed=True)
    cart = [CartLine(sku="MIRT-ANNA", name="Сукня Анна", size="134-140", color="рожевий", quantity=1,
                     price="1850.00")]
    return Draft(stage=Stage.PAYMENT_DELIVERY, phase=Phase.WAITING_FOR_PAYMENT_METHOD, cart=cart, customer=customer,
                 payment_method=None, order_id=None, user_id=str(chat), session_id=str(chat), update_id=chat)


async def waiting_for_locks(db: asyncpg.Pool) -> int:
    return await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND wait_event_type = 'Lock'")


async def test_two_customers_cannot_both_buy_the_last_piece(db: asyncpg.Pool, stock_catalog: None) -> None:
    morph = Morphology()
    tools = SalesTools(db, Catalog(db, load_vocabulary(morph)), load_texts(), load_cities(),
                       KnowledgeBase(load_knowledge(), morph))
    first, second = draft(1601), draft(1602)
    two = {"items": [{"sku": "MIRT-ANNA", "size": "134-140", "color": "рожевий", "quantity": 2}]}
    refused = await tools.run("set_cart", two, first)
    assert refused["error"] == "Розміру 134-140 моделі «Сукня Анна» залишилося лише 1 шт."
    async with db.acquire() as other, other.transaction():
        # Another order holds the last 134-140 while both customers pay: both have checked the stock, both wait.
        await other.execute("SELECT 1 FROM product_size_stock WHERE size = '134-140' FOR UPDATE")
        paying = [asyncio.create_task(tools.run("choose_payment", {"method": "full"}, d)) for d in (first, second)]
        while await waiting_for_locks(db) < 2 and not all(task.done() for task in paying):
            await asyncio.sleep(0.01)
    results = await asyncio.gather(*paying)
    [won] = [r for r in results if "order_id" in r]
    [lost] = [r for r in results if "error" in r]
    assert lost["error"] == ("Вибачте, останній розмір 134-140 моделі «Сукня Анна» щойно купили, поки ми "
                             "оформлювали замовлення. Можу запропонувати інший розмір або покликати менеджера — він "
                             "підкаже, коли буде поставка.")
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert await db.fetchval("SELECT order_id FROM crm_orders") == won["order_id"]
    assert await db.fetchval("SELECT quantity FROM product_size_stock WHERE size = '134-140'") == 0
    loser = first if first.order_id is None else second
    assert loser.order_id is None and loser.phase is Phase.WAITING_FOR_PAYMENT_METHOD

    # Afterwards the size is sold out for everyone, and an uncounted size is not limited.
    late = draft(1603)
    assert "розпродано" in (await tools.run("set_cart", {"items": [
        {"sku": "MIRT-ANNA", "size": "134-140", "color": "рожевий"}]}, late))["error"]
    assert "розпродано" in (await tools.run("choose_payment", {"method": "full"}, late))["error"]
    free = draft(1604)
    free.cart = [CartLine(sku="MIRT-ANNA", name="Сукня Анна", size="110-116", color="рожевий", quantity=20,
                          price="1850.00")]
    assert "order_id" in await tools.run("choose_payment", {"method": "full"}, free)
