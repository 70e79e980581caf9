"""The customer's side of the chat: /start, and every text (or burst of texts) as one turn for the assistant."""

from __future__ import annotations

import io

import asyncpg
from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message, Update
from aiogram.utils.chat_action import ChatActionSender

from agent.assistant import CustomerTurn, Reply, SalesAssistant
from bot.settings import Settings
from bot.shop import Shop
from handlers.buttons import OwnPrivateChat
from handlers.cards import PICK, picked, send_card, send_picture
from handlers.replies import send_text

MAX_PHOTO_BYTES = 20 * 1024 * 1024
PHOTO = "[фото]"  # stands for a photo without a caption in the stored conversation


def customer_turn(message: Message, texts: list[str], update_ids: list[int],
                  photos: tuple[bytes, ...] = ()) -> CustomerTurn:
    user = message.from_user
    return CustomerTurn(
        chat_id=message.chat.id,
        user_id=user.id if user else message.chat.id,
        customer_name=user.full_name if user else None,
        texts=texts,
        update_ids=update_ids,
        photos=photos,
    )


async def download_photos(bot: Bot, messages: list[Message]) -> tuple[bytes, ...]:
    """The largest size of every photo in the turn; Telegram lets bots download files up to 20 MB."""
    photos = []
    for message in messages:
        if not message.photo:
            continue
        largest = message.photo[-1]
        if largest.file_size and largest.file_size > MAX_PHOTO_BYTES:
            continue
        buffer = await bot.download(largest, destination=io.BytesIO())
        if buffer is not None:
            photos.append(buffer.getvalue())
    return tuple(photos)


async def send_reply(message: Message, db: asyncpg.Pool, shop: Shop, reply: Reply) -> None:
    for bubble in reply.bubbles:
        if not await send_text(message.bot, db, message.chat.id, bubble):
            return  # the customer blocked the bot
    for card in reply.cards:
        await send_card(message.bot, shop, message.chat.id, card)
    for picture in reply.pictures:
        await send_picture(message.bot, message.chat.id, picture)


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
    settings: Settings,
) -> Reply:
    turn = customer_turn(message, [u.message.text or u.message.caption or PHOTO for u in burst if u.message],
                         [u.update_id for u in burst if u.message],
                         photos=await download_photos(message.bot, [u.message for u in burst if u.message]))
    if any(len(text) > settings.max_message_length for text in turn.texts):
        reply = await assistant.decline(turn, shop.text("too_long", limit=settings.max_message_length))
    else:
        async with ChatActionSender.typing(bot=message.bot, chat_id=message.chat.id):
            reply = await assistant.answer(turn, apologise=attempt == 0)
    await send_reply(message, db, shop, reply)
    return reply


async def card_button(query: CallbackQuery, event_update: Update, attempt: int, assistant: SalesAssistant,
                      db: asyncpg.Pool, shop: Shop) -> Reply | None:
    """A size or colour pressed on a product card is the customer's choice, said in words to the dialog."""
    await query.answer()
    choice = picked(shop, query.data or "")
    if choice is None or not isinstance(query.message, Message):
        return None
    turn = CustomerTurn(chat_id=query.message.chat.id, user_id=query.from_user.id,
                        customer_name=query.from_user.full_name, texts=[choice], update_ids=[event_update.update_id])
    reply = await assistant.answer(turn, apologise=attempt == 0)
    await send_reply(query.message, db, shop, reply)
    return reply


async def unsupported(message: Message, event_update: Update, assistant: SalesAssistant, db: asyncpg.Pool,
                      shop: Shop) -> Reply:
    kind = message.content_type
    turn = customer_turn(message, [f"[{kind}]"], [event_update.update_id])
    reply = await assistant.decline(turn, shop.text("unsupported_media"))
    await send_reply(message, db, shop, reply)
    return reply


def conversation_router() -> Router:
    router = Router(name="conversation")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, CommandStart())
    router.message.register(restart, Command("restart"))
    router.message.register(customer_message, F.text | F.photo)
    router.message.register(unsupported)
    router.callback_query.register(card_button, OwnPrivateChat(), F.data.startswith(f"{PICK}:"))
    return router
