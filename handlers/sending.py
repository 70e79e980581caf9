"""A reply leaves as Telegram messages: its bubbles, then its product cards and the shop's pictures; Telegram's
"share contact" button is offered when the dialog asks for the phone, and a reply keyboard removed when it has done
its job."""

from __future__ import annotations

import asyncpg
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from agent.assistant import Reply
from config.shop import Shop
from handlers.cards import send_card, send_picture
from outbound.replies import send_text


def share_phone(shop: Shop) -> ReplyKeyboardMarkup:
    """Telegram's "share contact" reply button (KeyboardButton.request_contact)."""
    return ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=shop.text("share_phone_button"), request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True)


async def send_reply(message: Message, db: asyncpg.Pool, shop: Shop, reply: Reply,
                     keyboard: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None) -> None:
    """`keyboard` goes with the last bubble; without one, the share-contact button when the reply asks the phone."""
    markup = keyboard or (share_phone(shop) if reply.asks_phone else None)
    for index, bubble in enumerate(reply.bubbles):
        last = index == len(reply.bubbles) - 1
        if not await send_text(message.bot, db, message.chat.id, bubble, reply_markup=markup if last else None):
            return  # the customer blocked the bot
    for card in reply.cards:
        await send_card(message.bot, db, shop, message.chat.id, card)
    for picture in reply.pictures:
        await send_picture(message.bot, message.chat.id, picture)
