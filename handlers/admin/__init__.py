"""Admin commands and the managers' side of handoffs. Everything here is for ADMIN_IDS only (a router-level
filter): for anyone else /status is just words to the shop assistant."""

from __future__ import annotations

import time

import structlog
from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from config.settings import Settings
from handlers.admin.filters import IsAdmin
from handlers.admin.handoff import handoff_router
from handlers.admin.orders import orders_router
from handlers.admin.questions import questions_router
from handlers.admin.stats import stats_router
from handlers.admin.status import status_router
from outbound.desk import ManagersDesk
from outbound.texts import AdminTexts, Text

log = structlog.get_logger(__name__)

COMMANDS = (("status", Text.COMMAND_STATUS), ("stats", Text.COMMAND_STATS), ("orders", Text.COMMAND_ORDERS),
            ("questions", Text.COMMAND_QUESTIONS), ("escalate", Text.COMMAND_ESCALATE),
            ("release", Text.COMMAND_RELEASE))


def admin_router() -> Router:
    router = Router(name="admin")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.include_routers(status_router(time.monotonic()), stats_router(), orders_router(), questions_router(),
                           handoff_router())  # last: it also takes managers' plain replies
    router.startup.register(open_desk)
    router.shutdown.register(close_desk)
    return router


async def open_desk(bot: Bot, desk: ManagersDesk, settings: Settings, admin_texts: AdminTexts) -> None:
    """At start: the managers' chat queue running (it never waits for the group), and the admin menu in the admins'
    chats and the managers' group as it is now (after a move)."""
    await desk.start(bot)
    commands = [BotCommand(command=name, description=admin_texts(text)) for name, text in COMMANDS]
    for chat_id in dict.fromkeys([*settings.admin_ids, *([desk.chat_id] if desk.chat_id else [])]):
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
        except TelegramAPIError as exc:  # an admin who never opened the bot; a group that moved or removed the bot
            log.warning("admin_menu_not_set", chat_id=chat_id, error=str(exc))


async def close_desk(desk: ManagersDesk) -> None:
    await desk.stop()
