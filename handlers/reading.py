"""A burst of customer messages read into one turn: photos and images sent as files downloaded (up to the vision
model's limit), voice and video notes transcribed, receipt-like files noted for the managers, and edits applied —
an edit of a message in the same, not yet answered turn replaces its words; an edit of an answered one is a
correction the dialog reads as "(виправлено) …"."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.types import Message, Update

from agent.assistant import CustomerTurn
from agent.vision import MAX_PHOTOS
from config.shop import Shop
from handlers.said import Kind, carried_message, described, image_file, kind_of, too_big, voice_file
from llm.voice import Transcriber


class FileTooBig(Exception):
    """A file over the Bot API's 20 MB download limit: the bot cannot see it."""


def customer_turn(message: Message, texts: list[str], update_ids: list[int]) -> CustomerTurn:
    user = message.from_user
    return CustomerTurn(chat_id=message.chat.id, user_id=user.id if user else message.chat.id,
                        customer_name=user.full_name if user else None, texts=texts, update_ids=update_ids)


@dataclass
class _Turn:
    texts: list[str] = field(default_factory=list)
    update_ids: list[int] = field(default_factory=list)
    photos: list[bytes] = field(default_factory=list)
    attachments: list[int] = field(default_factory=list)
    voiced: set[int] = field(default_factory=set)
    positions: dict[int, int] = field(default_factory=dict)  # message_id → its index in texts


async def download(bot: Bot, file: object) -> bytes:
    buffer = await bot.download(file, destination=io.BytesIO())  # type: ignore[arg-type]
    return buffer.getvalue() if buffer is not None else b""


async def read_turn(bot: Bot, first: Message, burst: list[Update], shop: Shop,
                    transcriber: Transcriber) -> CustomerTurn:
    """Raises FileTooBig, and LlmUnavailable when a voice note could not be transcribed."""
    turn = _Turn()
    user_id = first.from_user.id if first.from_user else first.chat.id
    for update in burst:
        message, edited = carried_message(update)
        if message is None:
            continue
        words = message.text or message.caption or ""
        if edited:
            if message.message_id in turn.positions:  # not answered yet: the edit is what they meant
                turn.texts[turn.positions[message.message_id]] = words
                continue
            words = shop.text("edited", text=words)
        elif (kind := kind_of(message)) is Kind.PHOTO:
            file = image_file(message)
            if too_big(file):
                raise FileTooBig
            if len(turn.photos) < MAX_PHOTOS:
                turn.photos.append(await download(bot, file))
            turn.attachments.append(message.message_id)
            words = words or shop.text("kind_photo")
        elif kind is Kind.VOICE:
            file, name = voice_file(message)  # type: ignore[misc]
            if too_big(file):
                raise FileTooBig
            heard = await transcriber.transcribe(await download(bot, file), name, str(first.chat.id), user_id)
            words = heard or shop.text("kind_voice")
            turn.voiced.add(update.update_id)
        elif kind is Kind.DOCUMENT:  # a receipt-like file: the managers get it as it is
            turn.attachments.append(message.message_id)
            words = words or described(message, shop)
        turn.positions[message.message_id] = len(turn.texts)
        turn.texts.append(words)
        turn.update_ids.append(update.update_id)
    base = customer_turn(first, turn.texts, turn.update_ids)
    return CustomerTurn(base.chat_id, base.user_id, base.customer_name, turn.texts, turn.update_ids,
                        photos=tuple(turn.photos), attachments=tuple(turn.attachments),
                        voiced=frozenset(turn.voiced))
