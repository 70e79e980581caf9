"""Orders for managers: a card per new order with [Оплату підтверджено] [Скасувати], and /orders for today."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, TelegramObject

from catalog.orders import change_status
from catalog.texts import Rejected, Texts
from config.settings import Settings
from config.shop import Shop
from handlers.buttons import button_id, refused
from handlers.filters import InLoop
from models.orders import OrderStatus
from outbound.desk import ManagersDesk
from outbound.managers_cards import CANCEL, PAID, customer_name, money, order_card
from outbound.replies import send_text
from outbound.texts import AdminTexts, Text
from storage import handoffs
from storage.admin_stats import orders_of_day
from storage.orders import fetch_order

log = structlog.get_logger(__name__)


class NewOrderCards(BaseMiddleware):
    """After a customer's turn, every order it created gets its card in the managers' chat (claimed once)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        desk: ManagersDesk = data["desk"]
        chat = data.get("event_chat")
        if desk.chat_id is None or chat is None or chat.type != "private":
            return result
        pool: asyncpg.Pool = data["db"]
        texts: AdminTexts = data["admin_texts"]
        claimed = await handoffs.claim_new_order_cards(pool, str(chat.id))
        for order_id in claimed:
            order = await fetch_order(pool, order_id)
            assert order is not None
            text, buttons = order_card(texts, order, customer_name(await handoffs.customer_facts(pool, str(chat.id))))
            await handoffs.enqueue_text(pool, order.session_id, text, buttons)
        if claimed:
            desk.wake()
        return result


async def confirm_payment(query: CallbackQuery, db: asyncpg.Pool, shop: Shop, admin_texts: AdminTexts,
                          order_texts: Texts) -> None:
    order_id = await _order_of(query, PAID, admin_texts)
    if order_id is None:
        return
    try:
        order = await change_status(db, order_id, OrderStatus.PAID)
    except Rejected as exc:
        await query.answer(admin_texts(Text.ORDER_REFUSED, reason=order_texts.say(exc)), show_alert=True)
        return
    if not await handoffs.claim_paid_notice(db, order_id, query.from_user.id, datetime.now(UTC)):
        await query.answer(admin_texts(Text.ORDER_ALREADY, order=order_id,
                                       status=admin_texts(Text(f"status_{order.status.value}"))))
        return
    await query.answer()
    await send_text(query.bot, db, int(order.session_id), shop.text("payment_confirmed", order=order_id))
    await _mark_card(query, admin_texts(Text.ORDER_PAID, order=order_id, manager=query.from_user.full_name))
    log.info("order_payment_confirmed", order_id=order_id)


async def cancel_order(query: CallbackQuery, db: asyncpg.Pool, admin_texts: AdminTexts, order_texts: Texts) -> None:
    order_id = await _order_of(query, CANCEL, admin_texts)
    if order_id is None:
        return
    try:
        await change_status(db, order_id, OrderStatus.CANCELLED)
    except Rejected as exc:
        await query.answer(admin_texts(Text.ORDER_REFUSED, reason=order_texts.say(exc)), show_alert=True)
        return
    await query.answer()
    await _mark_card(query, admin_texts(Text.ORDER_CANCELLED, order=order_id, manager=query.from_user.full_name))
    log.info("order_cancelled_by_manager", order_id=order_id)


async def _order_of(query: CallbackQuery, prefix: str, admin_texts: AdminTexts) -> int | None:
    """The order a card's button names; a malformed one is answered and logged, and nothing happens."""
    order_id = button_id(query.data, prefix)
    if order_id is None:
        refused(query, "not an order number")
        await query.answer(admin_texts(Text.BUTTON_INVALID), show_alert=True)
    return order_id


async def _mark_card(query: CallbackQuery, outcome: str) -> None:
    """The card keeps its text, loses its buttons and says what was decided, so nobody presses again."""
    if isinstance(query.message, Message):
        await query.message.edit_text(f"{query.message.text}\n\n{outcome}", reply_markup=None)


async def todays_orders(message: Message, db: asyncpg.Pool, settings: Settings, admin_texts: AdminTexts) -> None:
    rows = await orders_of_day(db, settings.shop_timezone)
    if not rows:
        await message.answer(admin_texts(Text.ORDERS_NONE))
        return
    lines = [admin_texts(Text.ORDERS_HEADER, count=len(rows), total=money(sum(r["total_amount"] for r in rows)))]
    lines += [admin_texts(Text.ORDERS_LINE, order=r["id"], time=r["local_time"].strftime("%H:%M"),
                          name=r["customer_name"] or "—", total=money(r["total_amount"]),
                          status=admin_texts(Text(f"status_{r['status']}"))) for r in rows]
    await send_text(message.bot, db, message.chat.id, "\n".join(lines))


def orders_router() -> Router:
    router = Router(name="admin-orders")
    router.message.register(todays_orders, Command("orders"))
    router.callback_query.register(confirm_payment, InLoop(F.data.startswith(f"{PAID}:")))
    router.callback_query.register(cancel_order, InLoop(F.data.startswith(f"{CANCEL}:")))
    return router
