"""Whether the assistant answers a customer in a business chat: the connection must allow replies, the shop's
BUSINESS_CHATS setting must include the chat, and the account owner must not be answering it by hand. A chat the
owner took over by typing goes back to the assistant after /release or once the owner has been quiet for
BUSINESS_HUMAN_QUIET; the assistant then first gets what the owner and the customer said meanwhile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User

from config.settings import Settings
from config.shop import Shop
from handlers.admin.handoffs import Handoffs
from handlers.customers import HANDOFF_OPEN
from handlers.said import described
from outbound.business_accounts import BusinessAccounts
from outbound.through_connection import BusinessChatClosed
from storage import business
from storage.business import BusinessChat
from storage.customers import add_message

log = structlog.get_logger(__name__)


def may_answer(settings: Settings, link: BusinessChat) -> bool:
    """BUSINESS_CHATS: `all` chats, only `new` ones (the customer wrote first, not the owner), or `none` (the
    assistant answers nobody; follow-ups already due still go out)."""
    return settings.business_chats == "all" or (settings.business_chats == "new" and link.opened_by_customer)


async def _business_chat(event: TelegramObject, accounts: BusinessAccounts) -> BusinessChat | None:
    """The customer's business chat, bound to its connection by the customer's message; a customer writing to the
    bot itself is answered in the bot chat from then on."""
    if isinstance(event, Message) and event.chat.type == "private":
        if event.business_connection_id is not None:
            return await accounts.joined(event, opened_by_customer=True)
        await accounts.unbind(event.chat.id)
        return None
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
        return await accounts.chat(event.message.chat.id)
    return None


class BusinessGate(BaseMiddleware):
    """On the customer's conversation router, before the handoff gate."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        link = await _business_chat(event, data["business"])
        if link is None:
            return await handler(event, data)
        chat_id = link.chat_id
        settings: Settings = data["settings"]
        if not link.connection.usable:
            log.info("business_chat_not_answered", reason="connection_unusable")
            return None
        if not may_answer(settings, link):
            log.info("business_chat_not_answered", reason=f"business_chats={settings.business_chats}")
            return None
        db: asyncpg.Pool = data["db"]
        owner = link.connection
        quiet_since = await business.owner_quiet_since(db, str(chat_id), owner.owner_id)
        if quiet_since is None:
            return await self._answer(handler, event, data)
        if datetime.now(UTC) - quiet_since < settings.business_human_quiet:
            await self._keep(db, data["shop"], str(chat_id), data.get("burst") or [data["event_update"]])
            return None
        handoff: Handoffs = data["handoff"]
        await handoff.release(str(chat_id), User(id=owner.owner_id, is_bot=False, first_name=owner.owner_name),
                              data["dialog"])
        data[HANDOFF_OPEN] = False  # read before the release: the handoff gate must not hold the turn now
        log.info("business_owner_quiet_released", session=str(chat_id))
        return await self._answer(handler, event, data)

    @staticmethod
    async def _answer(handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
                      data: dict[str, Any]) -> Any:
        """The assistant's turn; one that finds the connection closed meanwhile (disabled while it was thinking)
        is over: nothing more can be sent, and the managers were told."""
        try:
            return await handler(event, data)
        except BusinessChatClosed:
            log.info("business_chat_not_answered", reason="connection_closed_during_turn")
            return None

    @staticmethod
    async def _keep(db: asyncpg.Pool, shop: Shop, session_id: str, burst: list[Update]) -> None:
        """The customer's messages while the owner answers: kept, so the assistant knows them when it is back."""
        for update in burst:
            message = update.message
            if message is not None:
                user = message.from_user
                await add_message(db, session_id, str(user.id if user else message.chat.id), "user",
                                  described(message, shop), update.update_id, tags=["human_mode"])
