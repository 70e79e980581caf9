"""Order cards in the managers' chat: only admins' presses count, a payment is confirmed to the customer once."""

from __future__ import annotations

from typing import Any

import asyncpg

from config.shop import load_shop
from tests.fakes.telegram import FakeTelegram
from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, group_message
from tests.test_sale import ORDER_STEPS, sales_script, talk

STRANGER = 777  # in the managers' group, but not in ADMIN_IDS


async def ordered(tg: FakeTelegram, db: asyncpg.Pool, customer: int) -> tuple[int, dict[str, Any]]:
    """The customer buys a dress through the dialog (the model scripted by `sales_script`); returns the order's
    id and its card in the managers' group."""
    await talk(tg, customer, ORDER_STEPS)
    order_id = await db.fetchval("SELECT id FROM orders WHERE session_id = $1", str(customer))
    await tg.wait_for(lambda: any(f"Нове замовлення №{order_id}" in t for t in tg.sent_to(MANAGERS)))
    return order_id, group_message(tg, f"Нове замовлення №{order_id}")


async def test_order_card_confirmed_by_an_admin_once_and_ignored_for_others(
    wire: Wire, db: asyncpg.Pool, demo_catalog: None
) -> None:
    tg, customer = wire.telegram, 2401
    wire.openai.script = sales_script
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        order_id, card = await ordered(tg, db, customer)
        [[paid, cancel]] = card["reply_markup"]["inline_keyboard"]
        assert (paid["text"], cancel["text"]) == ("Оплату підтверджено", "Скасувати")
        assert "1850 грн" in card["text"] and "+380951234567" in card["text"]
        said_before = len(tg.sent_to(customer))

        tg.press(MANAGERS, STRANGER, card["message_id"], cancel["callback_data"])
        tg.press(MANAGERS, STRANGER, card["message_id"], paid["callback_data"])
        tg.press(MANAGERS, ADMIN, card["message_id"], paid["callback_data"])
        tg.press(MANAGERS, ADMIN, card["message_id"], paid["callback_data"])  # a double press
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 4)
        tg.send(ADMIN, "/orders", first_name="Олена")
        [orders] = await tg.wait_for_messages(ADMIN, 1)
    confirmed = load_shop(None).text("payment_confirmed", order=order_id)
    assert tg.sent_to(customer)[said_before:] == [confirmed]
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order_id) == "paid"
    assert "✅ Оплату замовлення" in group_message(tg, f"Нове замовлення №{order_id}")["text"]
    answers = [c.params for c in tg.calls_of("answerCallbackQuery")]
    assert [a.get("text") for a in answers[:2]] == [None, None]  # a stranger's press: answered, nothing more
    assert "вже має статус «оплачене»" in answers[3]["text"]
    assert orders.startswith("Замовлення за сьогодні: 1 на 1850 грн") and f"№{order_id}" in orders
    assert "оплачене" in orders
