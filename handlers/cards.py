"""Product cards in Telegram: a photo (or a message) with the catalog's facts in HTML, every value escaped, and
buttons for sizes and colours. A button press comes back as the customer's choice, in words, for the dialog.

A button carries a short opaque token, never the SKU or the value: Telegram takes 1-64 BYTES of callback data (Bot
API, InlineKeyboardButton), and a SKU with a Cyrillic colour easily makes more. The token is derived from
(sku, kind, value), so the same card always gets the same tokens, and stored for the press (storage/card_choices).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

import asyncpg
import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from agent.cards import Card
from config.shop import Shop
from outbound.replies import CAPTION_LIMIT, cut_utf16, utf16_len
from storage.card_choices import choice_for, remember_choices

log = structlog.get_logger(__name__)

_TAGS = re.compile(r"<[^>]+>")


PICK = "pick"


class Pick(CallbackData, prefix=PICK):
    """A card button: "pick:<12 characters>" (17 bytes)."""

    token: str


def token(sku: str, kind: str, value: str) -> str:
    """12 URL-safe characters (72 bits of BLAKE2b) naming one size ("s") or colour ("c") of one product."""
    digest = hashlib.blake2b(f"{sku}\x00{kind}\x00{value}".encode(), digest_size=9).digest()
    return base64.urlsafe_b64encode(digest).decode()


def caption(shop: Shop, card: Card) -> str:
    return shop.text("card_caption", name=html.escape(card["name"]), price=html.escape(card["price"]),
                     sizes=html.escape(", ".join(card["sizes"]) or "—"),
                     colors=html.escape(", ".join(card["colors"]) or "—"))


def choices(card: Card) -> list[tuple[str, str, str, str]]:
    """(token, sku, kind, value) for every button of the card, sizes first."""
    return [(token(card["sku"], kind, value), card["sku"], kind, value)
            for kind, values in (("s", card["sizes"]), ("c", card["colors"])) for value in values]


def keyboard(card: Card) -> InlineKeyboardMarkup:
    def row(kind: str) -> list[list[InlineKeyboardButton]]:
        buttons = [InlineKeyboardButton(text=value, callback_data=Pick(token=key).pack())
                   for key, _, k, value in choices(card) if k == kind]
        return [buttons[i:i + 4] for i in range(0, len(buttons), 4)]

    return InlineKeyboardMarkup(inline_keyboard=[*row("s"), *row("c")])


async def picked(shop: Shop, pool: asyncpg.Pool, data: str) -> str | None:
    """The customer's choice in words, from a card button's data; None for data that is not ours. Cards sent
    before the tokens carry "pick:<sku>:s|c:<value>" and still answer."""
    parts = data.split(":", 3)
    if len(parts) == 4 and parts[0] == PICK and parts[2] in ("s", "c"):
        choice: tuple[str, str, str] | None = (parts[1], parts[2], parts[3])
    else:
        try:
            choice = await choice_for(pool, Pick.unpack(data).token)
        except (TypeError, ValueError):
            return None
    if choice is None:
        return None
    sku, kind, value = choice
    return shop.text("picked_size" if kind == "s" else "picked_color", sku=sku, value=value)


async def send_card(bot: Bot, pool: asyncpg.Pool, shop: Shop, chat_id: int, card: Card) -> None:
    await remember_choices(pool, choices(card))
    text, markup = caption(shop, card), keyboard(card)
    plain = html.unescape(_TAGS.sub("", text))
    if card["photo_url"] and utf16_len(plain) > CAPTION_LIMIT:  # too long for a caption: cut the plain text
        await _send(bot, chat_id, card, cut_utf16(plain, CAPTION_LIMIT), markup, None)
        return
    try:
        await _send(bot, chat_id, card, text, markup, "HTML")
    except TelegramBadRequest:
        # Telegram refused the formatting: the same facts as plain text.
        await _send(bot, chat_id, card, plain, markup, None)


async def _send(bot: Bot, chat_id: int, card: Card, text: str, markup: InlineKeyboardMarkup,
                parse_mode: str | None) -> None:
    if card["photo_url"]:
        await bot.send_photo(chat_id, card["photo_url"], caption=text, parse_mode=parse_mode, reply_markup=markup)
    else:
        await bot.send_message(chat_id, text, parse_mode=parse_mode, reply_markup=markup)


async def send_picture(bot: Bot, chat_id: int, url: str) -> None:
    """A picture from the shop's knowledge file (a size chart) by its link; one Telegram cannot fetch is logged
    and left out: the words already answered."""
    try:
        await bot.send_photo(chat_id, url)
    except TelegramBadRequest as exc:
        log.warning("shop_picture_refused", error=str(exc))
