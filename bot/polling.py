"""Watching our own getUpdates calls: is polling alive, and is another process polling the same token?

Telegram lets one getUpdates poller per token; a second one (the old container still running during a deploy)
makes Telegram answer 409 Conflict, "terminated by other getUpdates request; make sure that only one bot instance
is running" (Bot API, getUpdates). Both processes would then take turns stealing each other's updates. The watch
says so clearly (a `telegram_conflict` error line, and /health answers 503 naming it) and waits longer after each
conflict in a row (CONFLICT_BACKOFF doubling up to CONFLICT_BACKOFF_MAX seconds), on top of aiogram's own retry
delay, instead of fighting the other process every second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates

log = structlog.get_logger(__name__)

POLLING_TIMEOUT = 10  # seconds Telegram holds a getUpdates call open
CONFLICT_BACKOFF = 2.0  # seconds after the first 409 in a row; doubles with each further one
CONFLICT_BACKOFF_MAX = 60.0
CONFLICT_PROBLEM = "another process polls Telegram with this BOT_TOKEN (409 Conflict): stop the old one"


class PollingWatch:
    """A request middleware on the bot session: is getUpdates being called, did the last call succeed, and is
    another process polling the same token?"""

    def __init__(self, after_conflict: Callable[[], Awaitable[None]]) -> None:
        """`after_conflict`: run once each time polling succeeds again after conflicts (the other process may have
        written what this one caches: the Business chat links)."""
        self._after_conflict = after_conflict
        self.last_seen: float | None = None
        self.failing = False
        self.conflicts = 0  # 409s in a row; 0 once a getUpdates call succeeds again

    async def __call__(self, make_request, bot, method):  # type: ignore[no-untyped-def]
        if not isinstance(method, GetUpdates):
            return await make_request(bot, method)
        self.last_seen = time.monotonic()
        try:
            response = await make_request(bot, method)
        except TelegramConflictError:
            self.failing = True
            self.conflicts += 1
            delay = min(CONFLICT_BACKOFF * 2 ** (self.conflicts - 1), CONFLICT_BACKOFF_MAX)
            log.error("telegram_conflict", problem=CONFLICT_PROBLEM, conflicts_in_a_row=self.conflicts,
                      retry_in=delay)
            await asyncio.sleep(delay)
            raise
        except Exception:
            self.failing = True
            raise
        if self.conflicts:
            log.info("telegram_conflict_over", conflicts_in_a_row=self.conflicts)
            self.conflicts = 0
            await self._after_conflict()
        self.failing = False
        self.last_seen = time.monotonic()
        return response

    def alive(self) -> bool:
        recent = self.last_seen is not None and time.monotonic() - self.last_seen < POLLING_TIMEOUT + 20
        return recent and not self.failing

    def problem(self) -> str | None:
        """What /health should name when polling is not alive for a reason we know."""
        return CONFLICT_PROBLEM if self.conflicts else None
