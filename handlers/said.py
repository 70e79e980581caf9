"""What a customer's message says, whatever its kind: the one place a Telegram message (a bot chat's, an edit, a
Business chat's) is read. Kinds follow the Bot API's Message fields (https://core.telegram.org/bots/api#message):
text, photo, document, voice, video_note, contact, sticker; anything else is "other". The stored conversation keeps
readable words for what has no text ("[стікер]", "[контакт]"), from the shop's file, never an enum's name."""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from aiogram.types import Document, Message, PhotoSize, Update

from config.shop import Shop

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bytes: the largest file the Bot API lets a bot download (getFile)
PROOF_TYPES = ("application/pdf",)  # documents that can be a payment receipt, besides images


class Kind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"  # a photo, or an image sent as a file
    DOCUMENT = "document"  # any other file
    VOICE = "voice"  # a voice note or a round video note: transcribed
    CONTACT = "contact"
    STICKER = "sticker"  # a sticker, or a message of emoji only
    OTHER = "other"


# Kinds that join a burst: what the customer types, shows or says in a few seconds is one turn.
MERGEABLE = frozenset({Kind.TEXT, Kind.PHOTO, Kind.VOICE})


def carried_message(update: Update) -> tuple[Message | None, bool]:
    """The customer's message an update carries, and whether it is an edit. A customer's Telegram Business message
    arrives here already as an ordinary message or edit (handlers.business.updates), so the same reading serves
    both; what the shop's own account sends stays a business update and is not a customer's."""
    if update.message is not None:
        return update.message, False
    return update.edited_message, update.edited_message is not None


def kind_of(message: Message) -> Kind:
    if message.text is not None:
        return Kind.STICKER if emoji_only(message.text) else Kind.TEXT
    if message.photo or image_document(message) is not None:
        return Kind.PHOTO
    if message.document is not None:
        return Kind.DOCUMENT
    if message.voice is not None or message.video_note is not None:
        return Kind.VOICE
    if message.contact is not None:
        return Kind.CONTACT
    if message.sticker is not None:
        return Kind.STICKER
    return Kind.OTHER


def emoji_only(text: str) -> bool:
    """"😍", "👍🏻🙏" — symbols with no letter or digit ("ok 👍" is words)."""
    stripped = "".join(text.split())
    return bool(stripped) and not any(ch.isalnum() for ch in stripped) and any(
        unicodedata.category(ch) == "So" for ch in stripped)


def image_document(message: Message) -> Document | None:
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return document
    return None


def image_file(message: Message) -> PhotoSize | Document | None:
    """The photo's largest size, or the image sent as a file."""
    return message.photo[-1] if message.photo else image_document(message)


def voice_file(message: Message) -> tuple[object, str] | None:
    """The voice or video note and a file name with the extension the transcription API recognises."""
    if message.voice is not None:
        return message.voice, "voice.ogg"
    if message.video_note is not None:
        return message.video_note, "note.mp4"
    return None


def is_proof(message: Message) -> bool:
    """A file that may be a payment receipt: a photo, an image file or a PDF."""
    document = message.document
    return bool(message.photo) or (document is not None and (
        (document.mime_type or "").startswith("image/") or document.mime_type in PROOF_TYPES))


def too_big(file: object) -> bool:
    """Over the Bot API's download limit, by the size Telegram reports."""
    size = getattr(file, "file_size", None)
    return bool(size and size > DOWNLOAD_LIMIT)


def described(message: Message, shop: Shop) -> str:
    """The message as the stored conversation keeps it: its words, or readable words for what it is."""
    if message.text or message.caption:
        return message.text or message.caption or ""
    if message.photo or image_document(message) is not None:
        return shop.text("kind_photo")
    if message.document is not None:
        return shop.text("kind_document", name=message.document.file_name or "")
    if message.contact is not None:
        return shop.text("kind_contact")
    if message.sticker is not None:
        return shop.text("kind_sticker")
    if message.voice is not None or message.video_note is not None:
        return shop.text("kind_voice")
    return shop.text("kind_other")
