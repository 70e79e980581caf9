"""Turning a reply into Telegram messages: split under Telegram's limit on paragraph boundaries, wait out 429s,
and remember a customer who blocked the bot (403)."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import ReplyKeyboardMarkup, ReplyKeyboardRemove

from storage.customers import mark_blocked

log = structlog.get_logger(__name__)

MESSAGE_LIMIT = 4096  # Bot API sendMessage: 1-4096 characters, counted in UTF-16 code units
CAPTION_LIMIT = 1024  # Bot API sendPhoto: caption 0-1024 characters, UTF-16 code units too
_MAX_RETRIES = 3


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji outside the BMP (👗) counts 2."""
    return len(text.encode("utf-16-le")) // 2


def cut_utf16(text: str, limit: int) -> str:
    """The longest prefix of `text` at most `limit` UTF-16 code units long (never half a surrogate pair)."""
    return text.encode("utf-16-le")[: limit * 2].decode("utf-16-le", errors="ignore")


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut at paragraph breaks, then line breaks, then spaces; never inside a word unless it is longer than limit.
    `limit` is in UTF-16 code units, as Telegram measures."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        window = cut_utf16(rest, limit + 1)
        cut = (max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or max(window.rfind(" "), 0)
               or len(cut_utf16(rest, limit)))
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


async def send_text(bot: Bot, pool: asyncpg.Pool, chat_id: int, text: str,
                    reply_markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None) -> bool:
    """Send `text` to the chat (`reply_markup` on its last part); False when the customer blocked the bot."""
    parts = split_message(text)
    for index, part in enumerate(parts):
        for attempt in range(_MAX_RETRIES + 1):
            try:
                await bot.send_message(chat_id, part, reply_markup=reply_markup if index == len(parts) - 1 else None)
                break
            except TelegramRetryAfter as exc:
                if attempt == _MAX_RETRIES:
                    raise
                log.warning("telegram_rate_limited", retry_after=exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except TelegramForbiddenError:
                log.info("customer_blocked_bot")
                await mark_blocked(pool, str(chat_id))
                return False
    return True
