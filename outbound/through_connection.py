"""The one place where a send becomes a send through the shop's Telegram account.

A request middleware on the bot session sees every method the bot calls (replies, cards, photos, typing actions,
follow-ups, notices), so none of the callers needs to know a chat is a business chat: for a chat reached through a
connection it fills in `business_connection_id` (Bot API 7.2+: sendMessage, sendPhoto, sendChatAction, sendMediaGroup
and the other send methods accept it). While the connection is disabled or lacks the right to reply nothing is sent
to the customer at all; a send Telegram refuses for the connection's sake marks the connection unusable.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from outbound.business_accounts import BusinessAccounts

# Telegram's answers to a send through a connection that is gone or may not be used (the errors of
# invokeWithBusinessConnection, https://core.telegram.org/api/bots/connected-business-bots).
REFUSALS = ("BUSINESS_CONNECTION_INVALID", "BUSINESS_CONNECTION_NOT_ALLOWED", "BUSINESS_PEER_INVALID")


class BusinessChatClosed(TelegramBadRequest):
    """Not sent: the chat's business connection is disabled or may not reply (as we know, or as Telegram just said).
    A TelegramBadRequest, so callers that give up on an unusable chat (the follow-up sweep) give up on this one too;
    a turn that runs into it ends there (the business gate)."""


class ThroughConnection(BaseRequestMiddleware):
    def __init__(self, accounts: BusinessAccounts) -> None:
        self._accounts = accounts

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id: Any = getattr(method, "chat_id", None)
        if ("business_connection_id" not in type(method).model_fields or getattr(method, "business_connection_id")
                or not isinstance(chat_id, int) or chat_id <= 0):
            return await make_request(bot, method)
        link = await self._accounts.chat(chat_id)
        if link is None:
            return await make_request(bot, method)
        if not link.connection.usable:
            raise BusinessChatClosed(method, "the business connection is disabled or may not reply")
        method.business_connection_id = link.connection.id  # type: ignore[attr-defined]
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not any(code in exc.message for code in REFUSALS):
                raise
            await self._accounts.refused(link.connection.id)
            raise BusinessChatClosed(method, exc.message) from exc
