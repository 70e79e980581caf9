"""Business updates in: a customer writing to the shop's own account is a customer chat like any other, the account
owner typing there is a person taking the chat over, and connection reports change what may be sent.

Telegram facts (https://core.telegram.org/bots/api#update): `business_message` / `edited_business_message` carry a
Message with `business_connection_id`; messages the account sends are delivered too: typed by the owner (`from` is
the owner) or sent by the bot on the account's behalf (`sender_business_bot` set). Updates of a type the bot does not
list in getUpdates' `allowed_updates` are not delivered at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiogram import BaseMiddleware, Dispatcher, Router
from aiogram.types import BusinessConnection, Message, TelegramObject, Update

from config.settings import Settings
from config.shop import Shop
from handlers.business.gate import may_answer
from handlers.said import described
from outbound.business_accounts import BusinessAccounts
from outbound.texts import AdminTexts, Text
from storage import handoffs

log = structlog.get_logger(__name__)

# A customer's business update is handled as this ordinary update type, by the same handlers.
CUSTOMER_KINDS = {"business_message": "message", "edited_business_message": "edited_message"}


def polled_updates(dispatcher: Dispatcher) -> list[str]:
    """What getUpdates must allow: every update type a handler is registered for, and the business counterpart of
    every customer message kind the assistant handles."""
    used = set(dispatcher.resolve_used_update_types())
    return sorted(used | {business for business, plain in CUSTOMER_KINDS.items() if plain in used})


def by_account(message: Message) -> bool:
    """Written from the shop's account (by hand or by the bot on its behalf), not by the customer: in a private chat
    the chat id is the other person's user id, so the customer's messages are those from the chat's own id."""
    return message.sender_business_bot is not None or message.from_user is None or (
        message.from_user.id != message.chat.id)


class BusinessUpdates(BaseMiddleware):
    """Outer middleware on the dispatcher's updates, before the inbox: a customer's business message becomes the
    ordinary message update the inbox, lanes and conversation already handle (it keeps `business_connection_id`);
    what the account itself sends stays a business update for the business router. Nothing here reads or writes
    anything, so the inbox still stores the update before anything can fail."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        kind = next((k for k in CUSTOMER_KINDS if getattr(event, k) is not None), None)
        message: Message | None = getattr(event, kind) if kind else None
        if kind is None or message is None or by_account(message):
            return await handler(event, data)
        customer = Update.model_validate(
            {"update_id": event.update_id, CUSTOMER_KINDS[kind]: message.model_dump(mode="json", exclude_none=True)},
            context={"bot": data["bot"]})
        return await handler(customer, data)


async def connection_changed(event: BusinessConnection, business: BusinessAccounts) -> None:
    await business.changed(event)


async def account_message(message: Message, event_update: Update, business: BusinessAccounts, db: asyncpg.Pool,
                          settings: Settings, admin_texts: AdminTexts, shop: Shop) -> None:
    """Someone typed by hand from the shop's account in a customer's chat (the owner, or whoever uses the account):
    human mode for that chat, taken by them, no card (they are already in the chat); what they wrote is kept for the
    dialog. The bot's own sends through the connection are ignored."""
    if message.sender_business_bot is not None or message.from_user is None:
        return
    assert message.business_connection_id is not None
    link = await business.joined(message, opened_by_customer=False)
    if not may_answer(settings, link):
        return  # a chat the assistant stays out of: nothing of it is kept
    owner, session, now = message.from_user, str(message.chat.id), datetime.now(UTC)
    started = await handoffs.start_handoff(db, session, admin_texts(Text.REASON_OWNER), owner.id, owner.full_name,
                                           now)
    await handoffs.record_manager_message(db, session, owner.id, described(message, shop), event_update.update_id,
                                           now)
    log.info("business_owner_typed", session=session, took_over=started)


def business_router() -> Router:
    router = Router(name="business")
    router.business_connection.register(connection_changed)
    router.business_message.register(account_message)
    return router
