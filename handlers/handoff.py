"""The handoff gate: while a manager handles a chat the AI never answers it. The customer's messages (text,
photos, anything) are kept in `messages` and queued for the managers' chat instead of reaching the assistant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from config.shop import Shop
from handlers.cards import picked
from handlers.customers import HANDOFF_OPEN, private_chat
from handlers.said import carried_message, described
from outbound.desk import ManagersDesk
from outbound.managers_cards import customer_said
from outbound.texts import AdminTexts
from outbound.texts import Text as AdminText
from storage import handoffs


class HandoffGate(BaseMiddleware):
    """Placed on the customer's conversation router, so admin commands and /forget are not held back."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        pool: asyncpg.Pool = data["db"]
        chat_id = private_chat(event)
        if chat_id is None:
            return await handler(event, data)
        held = data.get(HANDOFF_OPEN)
        if held is None:  # not read with the customer's row (a sender Telegram did not name): ask now
            held = await handoffs.open_handoff(pool, str(chat_id)) is not None
        if not held:
            return await handler(event, data)
        burst: list[Update] = data.get("burst") or [data["event_update"]]
        if isinstance(event, CallbackQuery):
            await event.answer()
            texts: AdminTexts = data["admin_texts"]
            shop: Shop = data["shop"]
            choice = await picked(shop, pool, event.data or "") or event.data or ""
            await handoffs.mirror_customer(pool, str(chat_id), str(event.from_user.id), choice,
                                           data["event_update"].update_id, "text",
                                           {"text": customer_said(texts, choice), "buttons": []})
        shop = data["shop"]
        for update in burst:
            message, edited = carried_message(update)
            if message is None:
                continue
            user_id = str(message.from_user.id if message.from_user else chat_id)
            if edited:  # the managers see the correction, next to the original
                words = described(message, shop)
                await handoffs.mirror_customer(pool, str(chat_id), user_id, words, update.update_id, "text", {
                    "text": data["admin_texts"](AdminText.CUSTOMER_EDITED, text=words), "buttons": []})
                continue
            await handoffs.mirror_customer(pool, str(chat_id), user_id, described(message, shop), update.update_id,
                                           *mirrored(message, data["admin_texts"], shop))
        desk: ManagersDesk = data["desk"]
        desk.wake()
        return None


def mirrored(message: Message, texts: AdminTexts, shop: Shop) -> tuple[str, dict[str, Any]]:
    """How the managers get the customer's message: a copy; from a chat of the shop's Telegram Business account,
    where the bot is no participant to copy from, its words."""
    if message.business_connection_id is not None:
        return "text", {"text": customer_said(texts, described(message, shop)), "buttons": []}
    return "copy", {"from_chat_id": message.chat.id, "message_id": message.message_id}
