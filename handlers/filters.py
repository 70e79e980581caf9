"""Filters that run in the event loop. aiogram runs a filter or handler that is not a coroutine function — its own
magic `F` filters and plain functions included — in a worker thread, `asyncio.to_thread`
(aiogram/dispatcher/event/handler.py, `CallableObject.call`, aiogram 3.31): a thread hand-off and two GIL switches
for a comparison, several times for every update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class InLoop(Filter):
    """`InLoop(F.chat.type == "private")`, `InLoop(lambda message: ...)`: the same check, done in the event loop.
    Returns what the check returns (a truthy value lets the update through; a dict adds handler arguments)."""

    def __init__(self, check: MagicFilter | Callable[[Any], Any]) -> None:
        self._check = check.resolve if isinstance(check, MagicFilter) else check

    async def __call__(self, event: TelegramObject) -> Any:
        return self._check(event)
