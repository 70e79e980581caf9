"""Who may use admin commands and buttons (ADMIN_IDS), and where the managers talk (ADMIN_CHAT_ID)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from config.settings import Settings
from outbound.desk import ManagersDesk


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, settings: Settings, event_from_user: User | None = None) -> bool:
        return event_from_user is not None and event_from_user.id in settings.admin_ids


class InManagersChat(Filter):
    async def __call__(self, event: TelegramObject, settings: Settings, desk: ManagersDesk) -> bool:
        """The configured group, or the supergroup it migrated to."""
        message = event.message if isinstance(event, CallbackQuery) else event
        return isinstance(message, Message) and message.chat.id in {settings.admin_chat_id, desk.chat_id}
