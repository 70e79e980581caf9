"""/status: whether the bot is healthy, in one message."""

from __future__ import annotations

import time
from importlib.metadata import version
from zoneinfo import ZoneInfo

import asyncpg
from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from config.settings import Settings
from outbound.desk import ManagersDesk
from outbound.managers_cards import money
from outbound.managers_chat import ManagersChat
from outbound.replies import send_text
from outbound.texts import AdminTexts, Text
from storage.admin_stats import Health, health
from storage.job_runs import latest_runs

_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


def status_router(started: float) -> Router:
    """`started`: the process's start (time.monotonic()), for the uptime."""
    router = Router(name="admin-status")

    async def status(message: Message, db: asyncpg.Pool, settings: Settings, admin_texts: AdminTexts,
                     desk: ManagersDesk) -> None:
        uptime = uptime_text(admin_texts, time.monotonic() - started)
        try:
            figures = await health(db, settings.shop_timezone)
            jobs = await job_lines(db, admin_texts, ZoneInfo(settings.shop_timezone))
        except _DB_ERRORS as exc:  # the one thing /status must still say when Postgres is down
            await message.answer(admin_texts(Text.POSTGRES_DOWN, error=type(exc).__name__))
            return
        await send_text(message.bot, db, message.chat.id,
                        render(admin_texts, figures, uptime, jobs, managers_line(admin_texts, desk.chat)))

    router.message.register(status, Command("status"))
    return router


def managers_line(texts: AdminTexts, chat: ManagersChat) -> str:
    if chat.id is None:
        return texts(Text.MANAGERS_CHAT_NONE)
    return texts(Text.MANAGERS_CHAT_DOWN, error=chat.problem) if chat.problem else texts(Text.MANAGERS_CHAT_OK)


def render(texts: AdminTexts, f: Health, uptime: str, jobs: str, managers: str) -> str:
    llm = (texts(Text.LLM_UNUSED) if f.llm_last_ok is None
           else texts(Text.LLM_OK) if f.llm_last_ok else texts(Text.LLM_FAILING))
    rate = f"{f.llm_errors_hour}/{f.llm_calls_hour}" + (
        f" ({f.llm_errors_hour / f.llm_calls_hour:.0%})" if f.llm_calls_hour else "")
    return texts(
        Text.STATUS, version=version("mirt-bot"), uptime=uptime,
        postgres=texts(Text.POSTGRES_OK, size=megabytes(f.database_bytes)), managers=managers, llm=llm, llm_errors=rate,
        updates=f.updates_hour, turns=f.turns_hour, open=f.open_conversations, human=f.human_chats,
        orders=f.orders_today, orders_total=money(f.orders_today_total), crm_pending=f.crm_pending,
        crm_failed=f.crm_failed,
        cost_today=f"{f.cost_today:.2f}", cost_month=f"{f.cost_month:.2f}", jobs=jobs,
    )


async def job_lines(pool: asyncpg.Pool, texts: AdminTexts, zone: ZoneInfo) -> str:
    runs = await latest_runs(pool)
    if not runs:
        return texts(Text.JOB_NONE)
    return "\n".join(texts(Text.JOB_LINE, job=name, when=run.started_at.astimezone(zone).strftime("%d.%m %H:%M"),
                           outcome=texts(Text(f"outcome_{run.outcome}"))) for name, run in sorted(runs.items()))


def uptime_text(texts: AdminTexts, seconds: float) -> str:
    minutes = int(seconds // 60)
    return texts(Text.UPTIME, days=minutes // 1440, hours=minutes // 60 % 24, minutes=minutes % 60)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
