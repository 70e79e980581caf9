"""A contact the customer shares (Telegram's "share contact" button, or one from their address book): the phone,
and the name when the dialog has none, go through the same customer-details rules as typed text. Someone else's
contact is not taken on trust: the customer is asked whether it is the recipient's number. That question names
only the number: the contact's name is whatever the address book says, and the bot's own words (kept as the
assistant's in the dialog) never carry customer-written text."""

from __future__ import annotations

import asyncpg
from aiogram.types import Message, ReplyKeyboardRemove, Update

from agent.assistant import Reply, SalesAssistant
from catalog.customer_details import parse_full_name, parse_phone
from catalog.texts import Rejected, Texts
from config.shop import Shop
from handlers.reading import customer_turn
from handlers.said import described
from handlers.sending import send_reply


async def contact_shared(message: Message, event_update: Update, attempt: int, assistant: SalesAssistant,
                         db: asyncpg.Pool, shop: Shop, order_texts: Texts) -> Reply:
    contact = message.contact
    assert contact is not None
    name = " ".join(p for p in (contact.last_name, contact.first_name) if p)  # surname first, as in ПІБ
    said = customer_turn(message, [f"{described(message, shop)} {contact.phone_number}"], [event_update.update_id])
    try:
        phone = parse_phone(contact.phone_number)
    except Rejected as rejected:
        reply = await assistant.decline(said, order_texts.say(rejected))
    else:
        own = message.from_user is not None and contact.user_id == message.from_user.id
        if own:
            await assistant.take_contact(said, phone, _name(name))
            turn = customer_turn(message, [shop.text("contact_shared", phone=phone)], [event_update.update_id])
            reply = await assistant.answer(turn, apologise=attempt == 0)
        else:
            reply = await assistant.remark(said, shop.text("contact_confirm", phone=phone))
    await send_reply(message, db, shop, reply, keyboard=ReplyKeyboardRemove())  # the button has done its job
    return reply


def _name(name: str) -> str | None:
    try:
        return parse_full_name(name)
    except Rejected:
        return None  # "Мама Ірина" or Latin letters: the dialog asks for the full name as usual

