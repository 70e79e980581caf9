"""Managers taking chats and giving them back: /escalate, the card's button, /release, and their replies to a
customer's mirrored messages, copied to the customer as if from the shop."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog
from aiogram import F, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, Update
from langgraph.graph.state import CompiledStateGraph

from config.shop import Shop
from handlers.admin.filters import InManagersChat
from handlers.admin.handoffs import Handoffs
from handlers.buttons import button_id, refused
from handlers.filters import InLoop
from handlers.said import described
from outbound.business_accounts import BusinessAccounts
from outbound.managers_cards import TAKE, customer_name
from outbound.texts import AdminTexts, Text
from storage import handoffs
from storage.customers import mark_blocked

log = structlog.get_logger(__name__)


async def customer_of(message: Message, command: CommandObject | None, db: asyncpg.Pool) -> str | None:
    """The customer a manager means: the id after the command, the mirrored message replied to, or the topic."""
    if command is not None and command.args:
        return command.args.split()[0]
    replied = message.reply_to_message
    if replied is not None and not replied.forum_topic_created:
        session = await handoffs.session_of_managers_message(db, replied.message_id)
        if session is not None:
            return session
    if message.message_thread_id is not None and message.is_topic_message:
        return await handoffs.session_of_topic(db, message.message_thread_id)
    return None


async def escalate(message: Message, command: CommandObject, db: asyncpg.Pool, handoff: Handoffs,
                   admin_texts: AdminTexts) -> None:
    session = await customer_of(message, command, db)
    if session is None:
        await message.reply(admin_texts(Text.WHICH_CUSTOMER, command="escalate"))
        return
    if not await handoffs.known_session(db, session):
        await message.reply(admin_texts(Text.UNKNOWN_CUSTOMER, value=session))
        return
    current = await handoffs.open_handoff(db, session)
    if current is not None and current.taken_by is not None:
        await message.reply(admin_texts(Text.ALREADY_TAKEN, session_id=session, manager=current.taken_by_name))
        return
    await handoff.take(session, message.from_user, admin_texts(Text.REASON_MANAGER))


async def take_button(query: CallbackQuery, db: asyncpg.Pool, handoff: Handoffs, admin_texts: AdminTexts) -> None:
    customer = button_id(query.data, TAKE)  # a customer's session is their private chat's id
    if customer is None or not await handoffs.known_session(db, session := str(customer)):
        refused(query, "no such customer")
        await query.answer(admin_texts(Text.BUTTON_INVALID), show_alert=True)
        return
    current = await handoffs.open_handoff(db, session)
    if current is not None and current.taken_by is not None and current.taken_by != query.from_user.id:
        await query.answer(admin_texts(Text.ALREADY_TAKEN, session_id=session, manager=current.taken_by_name))
        return
    await handoff.take(session, query.from_user, admin_texts(Text.REASON_MANAGER))
    await query.answer(admin_texts(Text.TAKEN_SHORT))


async def release(message: Message, command: CommandObject, db: asyncpg.Pool, handoff: Handoffs,
                  dialog: CompiledStateGraph, admin_texts: AdminTexts) -> None:
    session = await customer_of(message, command, db)
    if session is None:
        await message.reply(admin_texts(Text.WHICH_CUSTOMER, command="release"))
        return
    assert message.from_user is not None
    if not await handoff.release(session, message.from_user, dialog):
        await message.reply(admin_texts(Text.NOT_IN_HUMAN_MODE, session_id=session))
        return
    facts = await handoffs.customer_facts(db, session)
    await message.reply(admin_texts(Text.RELEASED, name=customer_name(facts), session_id=session))


async def relay(message: Message, chat_id: int, business: BusinessAccounts) -> bool:
    """The manager's message to the customer: a copy; into a Telegram Business chat, which copyMessage cannot reach
    (it takes no business_connection_id), its text, sent through the connection. False: nothing that can go."""
    if await business.chat(chat_id) is None:
        await message.bot.copy_message(chat_id, message.chat.id, message.message_id)
        return True
    text = message.text or message.caption
    if text:
        await message.bot.send_message(chat_id, text)
    return bool(text)


async def manager_reply(message: Message, event_update: Update, db: asyncpg.Pool, admin_texts: AdminTexts,
                        business: BusinessAccounts, shop: Shop) -> None:
    """A manager's answer to a customer's mirrored message (or in the customer's topic) goes to that customer."""
    if (message.text or "").startswith("/"):
        return  # a command no admin router knows
    session = await customer_of(message, None, db)
    if session is None:
        return  # managers talking among themselves
    if await handoffs.open_handoff(db, session) is None:
        await message.reply(admin_texts(Text.REPLY_NOT_SENT, session_id=session))
        return
    assert message.from_user is not None
    try:
        if not await relay(message, int(session), business):
            await message.reply(admin_texts(Text.REPLY_TEXT_ONLY, session_id=session))
            return
    except TelegramForbiddenError:
        log.info("customer_blocked_bot")
        await mark_blocked(db, session)
        await message.reply(admin_texts(Text.CUSTOMER_BLOCKED, session_id=session))
        return
    await handoffs.record_manager_message(db, session, message.from_user.id, described(message, shop),
                                          event_update.update_id, datetime.now(UTC))


def handoff_router() -> Router:
    router = Router(name="admin-handoff")
    router.message.register(escalate, Command("escalate"))
    router.message.register(release, Command("release"))
    router.callback_query.register(take_button, InLoop(F.data.startswith(f"{TAKE}:")))
    router.message.register(manager_reply, InManagersChat(), InLoop(F.reply_to_message | F.is_topic_message))
    return router
