"""Product cards in Telegram: a photo (or a message) with the catalog's facts in HTML, every value escaped, and
buttons for sizes and colours. A button press comes back as the customer's choice, in words, for the dialog."""

from __future__ import annotations

import html
import re

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from agent.cards import Card
from bot.shop import Shop

log = structlog.get_logger(__name__)

PICK = "pick"  # callback data: pick:<sku>:s|c:<size or colour>
_TAGS = re.compile(r"<[^>]+>")


def caption(shop: Shop, card: Card) -> str:
    return shop.text("card_caption", name=html.escape(card["name"]), price=html.escape(card["price"]),
                     sizes=html.escape(", ".join(card["sizes"]) or "—"),
                     colors=html.escape(", ".join(card["colors"]) or "—"))


def keyboard(card: Card) -> InlineKeyboardMarkup:
    def row(kind: str, values: list[str]) -> list[list[InlineKeyboardButton]]:
        buttons = [InlineKeyboardButton(text=v, callback_data=f"{PICK}:{card['sku']}:{kind}:{v}"[:64]) for v in values]
        return [buttons[i:i + 4] for i in range(0, len(buttons), 4)]

    return InlineKeyboardMarkup(inline_keyboard=[*row("s", card["sizes"]), *row("c", card["colors"])])


def picked(shop: Shop, data: str) -> str | None:
    """The customer's choice in words, from a card button's data; None for data that is not ours."""
    parts = data.split(":", 3)
    if len(parts) != 4 or parts[0] != PICK or parts[2] not in ("s", "c"):
        return None
    return shop.text("picked_size" if parts[2] == "s" else "picked_color", sku=parts[1], value=parts[3])


async def send_card(bot: Bot, shop: Shop, chat_id: int, card: Card) -> None:
    text, markup = caption(shop, card), keyboard(card)
    try:
        await _send(bot, chat_id, card, text, markup, "HTML")
    except TelegramBadRequest:
        # Telegram refused the formatting: the same facts as plain text.
        await _send(bot, chat_id, card, html.unescape(_TAGS.sub("", text)), markup, None)


async def _send(bot: Bot, chat_id: int, card: Card, text: str, markup: InlineKeyboardMarkup,
                parse_mode: str | None) -> None:
    if card["photo_url"]:
        await bot.send_photo(chat_id, card["photo_url"], caption=text[:1024], parse_mode=parse_mode,
                             reply_markup=markup)
    else:
        await bot.send_message(chat_id, text, parse_mode=parse_mode, reply_markup=markup)


async def send_picture(bot: Bot, chat_id: int, url: str) -> None:
    """A picture from the shop's knowledge file (a size chart) by its link; one Telegram cannot fetch is logged
    and left out: the words already answered."""
    try:
        await bot.send_photo(chat_id, url)
    except TelegramBadRequest as exc:
        log.warning("shop_picture_refused", error=str(exc))
