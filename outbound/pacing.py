"""Outbound pacing on the bot session: every message the bot sends (replies, follow-ups, CRM notices, mirrored
chats) waits for its turn, so Telegram's limits are kept rather than hit: about one message a second per chat,
twenty a minute per group, thirty a second overall. Waiting, never dropping."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import (
    CopyMessage,
    ForwardMessage,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

PACED = (SendMessage, SendPhoto, SendMediaGroup, SendDocument, CopyMessage, ForwardMessage)
_FORGET_AFTER = 60.0  # seconds a chat's slot is remembered after its last message


class OutboundPacer(BaseRequestMiddleware):
    def __init__(self, per_chat_interval: float, group_interval: float, per_second: float) -> None:
        self._per_chat = per_chat_interval
        self._per_group = group_interval
        self._spacing = 1.0 / per_second
        self._next_for_chat: dict[int, float] = {}
        self._next_overall = 0.0
        self._lock = asyncio.Lock()

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id: Any = getattr(method, "chat_id", None)
        if isinstance(method, PACED) and isinstance(chat_id, int):
            await asyncio.sleep(await self._reserve(chat_id))
        return await make_request(bot, method)

    async def _reserve(self, chat_id: int) -> float:
        """Book the next send slot for this chat; returns how long to wait for it."""
        async with self._lock:
            now = time.monotonic()
            at = max(now, self._next_for_chat.get(chat_id, now), self._next_overall)
            self._next_overall = at + self._spacing
            self._next_for_chat[chat_id] = at + (self._per_chat if chat_id > 0 else self._per_group)
            if len(self._next_for_chat) > 10_000:
                self._next_for_chat = {c: t for c, t in self._next_for_chat.items() if t > now - _FORGET_AFTER}
            return at - now
