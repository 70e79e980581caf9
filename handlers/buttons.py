"""Who may press what, and what a button's data may be. Anybody can send any callback data with any client, so a
button is checked like typed input: customer buttons act only in the presser's own private chat, numbers are
parsed within Postgres' bigint, and a press nobody takes is answered (the spinner stops) and changes nothing."""

from __future__ import annotations

import structlog
from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery

log = structlog.get_logger(__name__)

_BIGINT_MAX = 2**63 - 1  # ids are Postgres BIGINT (identity columns, Telegram chat ids)


class OwnPrivateChat(Filter):
    """A customer's button: pressed in a private chat with the bot by the customer that chat belongs to."""

    async def __call__(self, query: CallbackQuery) -> bool:
        message = query.message
        return (message is not None and message.chat.type == "private"
                and message.chat.id == query.from_user.id)


def button_id(data: str | None, prefix: str) -> int | None:
    """The positive id after `prefix:` in a button's data (`order:paid:42` → 42); None for anything else:
    another prefix, no digits, a sign, spaces, a number beyond BIGINT."""
    rest = (data or "").removeprefix(f"{prefix}:")
    if rest == data or not rest.isascii() or not rest.isdigit():
        return None
    number = int(rest)
    return number if 0 < number <= _BIGINT_MAX else None


def refused(query: CallbackQuery, why: str) -> None:
    """Log a press that is not acted on, by the kind of button only (the data may hold anything)."""
    kind = (query.data or "").split(":", 1)[0][:20]
    log.warning("button_refused", kind=kind, why=why, length=len(query.data or ""))


def leftover_router() -> Router:
    """Last in the dispatcher: a press no other router took (a stranger's, a forged or an outdated one) gets its
    answer and nothing else."""
    router = Router(name="leftover-buttons")

    async def ignored(query: CallbackQuery) -> None:
        refused(query, "nobody takes it here")
        await query.answer()

    router.callback_query.register(ignored)
    return router
