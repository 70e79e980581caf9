"""/stats [days]: a PNG chart of conversations, orders, revenue and LLM cost per day, with a one-line caption."""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal

import asyncpg
from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from matplotlib.figure import Figure  # a bare Figure renders PNG with Agg: no pyplot, no display, no global state

from config.settings import Settings
from outbound.managers_cards import money
from outbound.texts import AdminTexts, Text
from storage.admin_stats import Day, daily

DEFAULT_DAYS = 14
MAX_DAYS = 366


async def stats(message: Message, command: CommandObject, db: asyncpg.Pool, settings: Settings,
                admin_texts: AdminTexts) -> None:
    days = DEFAULT_DAYS
    if command.args:
        argument = command.args.strip()
        if not argument.isdigit() or not 1 <= int(argument) <= MAX_DAYS:
            await message.answer(admin_texts(Text.STATS_BAD_DAYS, max=MAX_DAYS))
            return
        days = int(argument)
    series = await daily(db, settings.shop_timezone, days)
    png = await asyncio.to_thread(chart, series, admin_texts)  # drawing takes a while: not on the event loop
    await message.answer_photo(BufferedInputFile(png, filename=f"mirt-stats-{days}d.png"),
                               caption=caption(series, admin_texts))


def caption(series: list[Day], texts: AdminTexts) -> str:
    newcomers = sum(d.new_customers for d in series)
    conversations = sum(d.conversations for d in series)
    return texts(
        Text.STATS_CAPTION, days=len(series), first=series[0].day.strftime("%d.%m.%Y"),
        last=series[-1].day.strftime("%d.%m.%Y"), conversations=conversations, orders=sum(d.orders for d in series),
        revenue=money(sum((d.revenue for d in series), Decimal(0))),
        conversion=share(sum(d.converted for d in series), newcomers),
        escalations=share(sum(d.escalations for d in series), conversations),
    )


def share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def chart(series: list[Day], texts: AdminTexts) -> bytes:
    labels = [d.day.strftime("%d.%m") for d in series]
    figure = Figure(figsize=(10, 7), dpi=100)
    panels = figure.subplots(2, 2, sharex=True)
    for axis, title, values in (
        (panels[0][0], Text.STATS_CONVERSATIONS, [d.conversations for d in series]),
        (panels[0][1], Text.STATS_ORDERS, [d.orders for d in series]),
        (panels[1][0], Text.STATS_REVENUE, [float(d.revenue) for d in series]),  # plotting only; sums stay Decimal
        (panels[1][1], Text.STATS_COST, [float(d.llm_cost) for d in series]),
    ):
        axis.bar(labels, values, color="#d9779b")
        axis.set_title(texts(title))
        axis.tick_params(axis="x", labelrotation=60, labelsize=7)
    figure.suptitle(texts(Text.STATS_TITLE, days=len(series)))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def stats_router() -> Router:
    router = Router(name="admin-stats")
    router.message.register(stats, Command("stats"))
    return router
