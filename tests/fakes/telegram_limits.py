"""What the real Bot API refuses in what a bot sends, with Telegram's own codes and texts.

Sources: the Bot API docs (core.telegram.org/bots/api): "Text of the message to be sent, 1-4096 characters after
entities parsing"; "Photo caption ..., 0-1024 characters after entities parsing"; callback_data "1-64 bytes";
"Formatting options" → HTML style (the supported tags; "All <, > and & symbols that are not a part of a tag or an
HTML entity must be replaced"; only &lt; &gt; &amp; &quot; and numeric entities); lengths are counted in UTF-16 code
units ("MessageEntity": "Offset in UTF-16 code units"). The error texts are the ones the real API answers
(aiogram's and python-telegram-bot's exception tables quote them).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

TEXT_LIMIT = 4096  # UTF-16 code units after entity parsing
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64

TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
EMPTY_TEXT = "Bad Request: message text is empty"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message")
CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
KICKED = "Forbidden: bot was kicked from the supergroup chat"
NOT_A_FORUM = "Bad Request: the chat is not a forum"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"

_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
              "code", "pre", "blockquote"}
_TAG = re.compile(r"<(/?)([^\s>/]*)([^>]*)>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class Refused(Exception):
    """Telegram would answer this call with `status` and `description` (e.g. 400 "Bad Request: ...")."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def utf16_len(text: str) -> int:
    """Telegram's length: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def visible_html(text: str) -> str:
    """The text a parse_mode=HTML message shows; raises Refused as Telegram's entity parser does."""
    shown: list[str] = []
    opened: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        shown.append(_plain(text[position:match.start()], position, text))
        position = match.end()
        closing, name = match.group(1) == "/", match.group(2).lower()
        offset = len(text[:match.start()].encode())
        if name not in _HTML_TAGS:
            raise Refused(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                               f"{offset}")
        if not closing:
            opened.append(name)
        elif not opened or opened.pop() != name:
            raise Refused(400, f'Bad Request: can\'t parse entities: Unexpected end tag at byte offset {offset}')
    if opened:
        raise Refused(400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
                           f'"{opened[-1]}"')
    shown.append(_plain(text[position:], position, text))
    return "".join(shown)


def _plain(chunk: str, start: int, whole: str) -> str:
    if "<" in chunk:  # a "<" that starts no tag
        offset = len(whole[:start + chunk.index("<")].encode())
        raise Refused(400, f'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset {offset}')
    return _ENTITY.sub(lambda m: unescape(m.group(0)), chunk)


def shown_text(params: dict[str, Any], key: str) -> str:
    """The text or caption as the recipient sees it, after parse_mode (only HTML is used by this bot)."""
    value = str(params.get(key) or "")
    return visible_html(value) if str(params.get("parse_mode") or "").upper() == "HTML" else value


def check_outgoing(method: str, params: dict[str, Any]) -> None:
    """Raise Refused when Telegram would refuse what this call sends (text, caption, keyboard)."""
    if method in {"sendMessage", "editMessageText"}:
        text = shown_text(params, "text")
        if not text.strip():
            raise Refused(400, EMPTY_TEXT)
        if utf16_len(text) > TEXT_LIMIT:
            raise Refused(400, TOO_LONG)
    if method in {"sendPhoto", "sendDocument", "copyMessage", "editMessageCaption"} and "caption" in params:
        if utf16_len(shown_text(params, "caption")) > CAPTION_LIMIT:
            raise Refused(400, CAPTION_TOO_LONG)
    markup = params.get("reply_markup")
    for row in (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_BYTES:
                raise Refused(400, BUTTON_DATA_INVALID)
