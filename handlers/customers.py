"""Keeps `users` current with what Telegram tells us about whoever writes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from storage.customers import upsert_user


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
            await upsert_user(self._pool, str(user.id), user.username, user.first_name, user.last_name,
                              user.language_code)
        return await handler(event, data)
