"""The customer's side of the chat: /start, and every message (or burst of messages) as one turn for the
assistant — text, photos and albums, images and receipts sent as files, voice and video notes, shared contacts and
edits; stickers and emoji get a short friendly answer without the model."""

from __future__ import annotations

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message, Update
from aiogram.utils.chat_action import ChatActionSender

from agent.assistant import CustomerTurn, Reply, SalesAssistant
from config.settings import Settings
from config.shop import Shop
from handlers.buttons import OwnPrivateChat
from handlers.cards import PICK, picked
from handlers.contacts import contact_shared
from handlers.filters import InLoop
from handlers.reading import FileTooBig, customer_turn, read_turn
from handlers.said import MERGEABLE, Kind, carried_message, described, is_proof, kind_of
from handlers.sending import send_reply
from llm.client import LlmUnavailable
from llm.voice import Transcriber


async def start(message: Message, event_update: Update, assistant: SalesAssistant, db: asyncpg.Pool,
                shop: Shop) -> Reply:
    reply = await assistant.greet(customer_turn(message, [message.text or "/start"], [event_update.update_id]))
    await send_reply(message, db, shop, reply)
    return reply


async def restart(message: Message, event_update: Update, assistant: SalesAssistant, db: asyncpg.Pool,
                  shop: Shop) -> Reply:
    reply = await assistant.restart(customer_turn(message, [message.text or "/restart"], [event_update.update_id]))
    await send_reply(message, db, shop, reply)
    return reply


async def customer_message(
    message: Message, burst: list[Update], attempt: int, assistant: SalesAssistant, db: asyncpg.Pool, shop: Shop,
    settings: Settings, transcriber: Transcriber,
) -> Reply:
    ids = [u.update_id for u in burst if carried_message(u)[0] is not None]
    try:
        turn = await read_turn(message.bot, message, burst, shop, transcriber)
    except FileTooBig:
        reply = await assistant.decline(customer_turn(message, [described(message, shop)], ids[-1:]),
                                        shop.text("file_too_big"))
    except LlmUnavailable:  # the voice note could not be heard: like a model outage, the turn is retried
        reply = await assistant.outage(customer_turn(message, [], ids), attempt == 0, shop.text("voice_unavailable"))
    else:
        if any(len(text) > settings.max_message_length for text in turn.texts):
            reply = await assistant.decline(turn, shop.text("too_long", limit=settings.max_message_length))
        else:
            async with ChatActionSender.typing(bot=message.bot, chat_id=message.chat.id,
                                               initial_sleep=settings.typing_after.total_seconds()):
                reply = await assistant.answer(turn, apologise=attempt == 0)
    await send_reply(message, db, shop, reply)
    return reply


async def short_answer(message: Message, event_update: Update, assistant: SalesAssistant, db: asyncpg.Pool,
                       shop: Shop) -> Reply:
    """Stickers, emoji, files we do not read, anything else: the shop's fixed words, no model call."""
    kind = kind_of(message)
    text = ("sticker_reply" if kind is Kind.STICKER else "document_unsupported" if kind is Kind.DOCUMENT
            else "unsupported_media")
    turn = customer_turn(message, [described(message, shop)], [event_update.update_id])
    reply = await assistant.decline(turn, shop.text(text))
    await send_reply(message, db, shop, reply)
    return reply


async def card_button(query: CallbackQuery, event_update: Update, attempt: int, assistant: SalesAssistant,
                      db: asyncpg.Pool, shop: Shop) -> Reply | None:
    """A size or colour pressed on a product card is the customer's choice, said in words to the dialog."""
    await query.answer()
    choice = await picked(shop, db, query.data or "")
    if choice is None or not isinstance(query.message, Message):
        return None
    turn = CustomerTurn(chat_id=query.message.chat.id, user_id=query.from_user.id,
                        customer_name=query.from_user.full_name, texts=[choice], update_ids=[event_update.update_id])
    reply = await assistant.answer(turn, apologise=attempt == 0)
    await send_reply(query.message, db, shop, reply)
    return reply


def conversation_router() -> Router:
    router = Router(name="conversation")
    router.message.filter(InLoop(F.chat.type == "private"))
    router.message.register(start, CommandStart())
    router.message.register(restart, Command("restart"))
    router.edited_message.filter(InLoop(F.chat.type == "private"))
    router.message.register(customer_message, InLoop(lambda m: kind_of(m) in MERGEABLE or is_proof(m)))
    router.message.register(contact_shared, InLoop(F.contact))
    router.message.register(short_answer)
    router.edited_message.register(customer_message, InLoop(F.text | F.caption))
    router.callback_query.register(card_button, OwnPrivateChat(), InLoop(F.data.startswith(f"{PICK}:")))
    return router
