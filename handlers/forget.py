"""/forget: the customer asks the bot to forget them; a button confirms, then everything personal is erased."""

from __future__ import annotations

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from langgraph.checkpoint.base import BaseCheckpointSaver

from handlers.buttons import OwnPrivateChat
from handlers.filters import InLoop
from memory.erase import forget_customer
from memory.texts import MemoryTexts, Text, load_texts

CONFIRM = "forget:yes"
CANCEL = "forget:no"


def forget_router() -> Router:
    texts = load_texts()  # at start: a missing text stops the process instead of failing a customer later
    router = Router(name="forget")
    router.message.filter(InLoop(F.chat.type == "private"))
    router.callback_query.filter(OwnPrivateChat())  # a forged press elsewhere (the managers' group) erases nothing

    async def ask(message: Message) -> None:
        await message.answer(texts.render(Text.FORGET_ASK), reply_markup=confirmation(texts))

    async def confirmed(callback: CallbackQuery, db: asyncpg.Pool, checkpointer: BaseCheckpointSaver) -> None:
        customer = str(callback.from_user.id)  # OwnPrivateChat: the chat is the customer's own
        counts = await forget_customer(db, checkpointer, customer, customer)
        await callback.answer()
        await _replace(callback, texts.render(Text.FORGET_DONE, **counts))

    async def cancelled(callback: CallbackQuery) -> None:
        await callback.answer()
        await _replace(callback, texts.render(Text.FORGET_CANCELLED))

    router.message.register(ask, Command("forget"))
    router.callback_query.register(confirmed, InLoop(F.data == CONFIRM))
    router.callback_query.register(cancelled, InLoop(F.data == CANCEL))
    return router


def confirmation(texts: MemoryTexts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=texts.render(Text.FORGET_YES_BUTTON), callback_data=CONFIRM),
        InlineKeyboardButton(text=texts.render(Text.FORGET_NO_BUTTON), callback_data=CANCEL),
    ]])


async def _replace(callback: CallbackQuery, text: str) -> None:
    """The question's message becomes the answer, so its buttons cannot be pressed twice."""
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text)
    else:
        await callback.bot.send_message(callback.from_user.id, text)
