"""Keeps `users` current with what Telegram tells us about whoever writes, and reads in the same round trip whether
the customer's chat is with a manager (the handoff gate's question, asked by every customer turn) and the names its
dialog recorded (hidden in the turn's log lines)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from config.names import add_customer_words, name_words
from storage.customers import store_customer

# Workflow data key: whether the customer's private chat had an open handoff when the turn began (a bool), set only
# when it was read with the customer's row. Whoever ends a handoff during the turn sets it to False.
HANDOFF_OPEN = "handoff_open"


def private_chat(event: TelegramObject) -> int | None:
    """The customer's private chat (a bot chat or a Business chat) a message or a pressed button belongs to; None
    for groups and anything else."""
    if isinstance(event, CallbackQuery):
        event = event.message
    if isinstance(event, Message) and event.chat.type == "private":
        return event.chat.id
    return None


class CustomerMiddleware(BaseMiddleware):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            chat = private_chat(event)
            handoff_open, recorded = await store_customer(self._pool, str(user.id), user.username, user.first_name,
                                                          user.last_name, user.language_code,
                                                          None if chat is None else str(chat))
            add_customer_words(w for name in recorded for w in name_words(name))  # the turn's log lines hide them
            if chat is not None:
                data[HANDOFF_OPEN] = handoff_open
        return await handler(event, data)
