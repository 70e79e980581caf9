"""Plain alerts to the shop's managers (ADMIN_CHAT_ID), e.g. the CRM's; escalations go through handlers.admin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

log = structlog.get_logger(__name__)


def managers_notifier(bot: Bot, admin_chat_id: int | None) -> Callable[[str], Awaitable[None]]:
    async def notify(text: str) -> None:
        if admin_chat_id is None:
            log.warning("managers_chat_not_configured", alert=text)
            return
        try:
            await bot.send_message(admin_chat_id, text)
        except TelegramAPIError as exc:
            # An alert that cannot be delivered must not cost the customer their reply.
            log.error("managers_alert_failed", error=str(exc), alert=text)

    return notify
