"""The managers' group as the bot sees it: its current id (followed when Telegram migrates the group to a
supergroup) and whether it can be reached. A group that refuses the bot is reported once — a log line and an alert
in each admin's private chat — and shows in /status and /health until it answers again; customers are served all
the while."""

from __future__ import annotations

import asyncpg
import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from outbound.texts import AdminTexts, Text
from storage import managers_chat

log = structlog.get_logger(__name__)

DEGRADED = "degraded: managers' chat unreachable"


class ManagersChat:
    def __init__(self, pool: asyncpg.Pool, configured_id: int | None, admin_ids: list[int],
                 texts: AdminTexts) -> None:
        """`configured_id`: ADMIN_CHAT_ID (None: no managers' chat); `admin_ids`: ADMIN_IDS, whose private chats
        hear when the group cannot be reached."""
        self._pool = pool
        self.configured_id = configured_id
        self.id = configured_id
        self._admins = admin_ids
        self._texts = texts
        self.problem: str | None = None  # Telegram's reason the group cannot be reached, while it cannot

    async def load(self) -> None:
        """Pick up a move stored by an earlier run."""
        if self.configured_id is not None:
            self.id = await managers_chat.current_id(self._pool, self.configured_id) or self.configured_id

    async def moved(self, new_id: int) -> None:
        """Telegram said the group now lives at `new_id` (400 migrate_to_chat_id): use it from now on."""
        assert self.configured_id is not None
        await managers_chat.save_move(self._pool, self.configured_id, new_id)
        log.warning("managers_chat_migrated", from_chat_id=self.id, to_chat_id=new_id)
        self.id = new_id

    async def unreachable(self, bot: Bot, reason: str) -> None:
        """The group refuses the bot (removed from it, the chat gone): say so once until it answers again."""
        if self.problem is not None:
            return
        self.problem = reason
        log.error("managers_chat_unreachable", chat_id=self.id, error=reason)
        for admin in self._admins:
            try:
                await bot.send_message(admin, self._texts(Text.MANAGERS_CHAT_UNREACHABLE, chat_id=self.id,
                                                          error=reason))
            except TelegramAPIError as exc:  # an admin who never opened the bot cannot be told
                log.warning("admin_alert_failed", admin_id=admin, error=str(exc))

    def reachable(self) -> None:
        if self.problem is not None:
            log.info("managers_chat_reachable_again", chat_id=self.id)
        self.problem = None

    @property
    def health(self) -> str:
        """"ok", or DEGRADED while the group cannot be reached (for /health)."""
        return DEGRADED if self.problem is not None else "ok"
