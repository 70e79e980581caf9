"""The inbox middleware: every update is stored in Postgres before anything else happens to it.

Polling runs with handle_as_tasks=False, so Telegram's offset moves past an update only after this middleware
returned, i.e. after the update is safely stored. While Postgres is unreachable the middleware keeps retrying and
polling waits: the update is neither acknowledged nor dropped. The turn itself runs later in the chat's lane.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog
from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject, Update

from handlers.lanes import ChatLanes, Delivery
from storage import inbox

log = structlog.get_logger(__name__)

UNANSWERED = "llm_unavailable"  # the outcome of a turn the model could not answer
_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


def chat_of(update: Update) -> int:
    event = update.event
    for owner in (event, getattr(event, "message", None)):
        chat = getattr(owner, "chat", None)
        if chat is not None:
            return int(chat.id)
    user = getattr(event, "from_user", None)
    return int(user.id) if user is not None else 0


class InboxMiddleware(BaseMiddleware):
    def __init__(self, pool: asyncpg.Pool, lanes: ChatLanes) -> None:
        self._pool = pool
        self._lanes = lanes

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        chat_id = chat_of(event)
        with structlog.contextvars.bound_contextvars(update_id=event.update_id, chat_id=chat_id):
            arrival = await self._store(event, chat_id)
            if arrival is inbox.Arrival.HANDLED or self._lanes.is_queued(event.update_id):
                log.info("update_duplicate_skipped", arrival=arrival.value)
                return None
            log.info("update_received", arrival=arrival.value, kind=event.event_type)
            self._lanes.submit(Delivery(event, chat_id, handler, data))
        return None

    async def _store(self, update: Update, chat_id: int) -> inbox.Arrival:
        payload = update.model_dump(mode="json", exclude_none=True)
        delay = 0.5
        while True:
            try:
                return await inbox.record(self._pool, update.update_id, chat_id, payload)
            except _DB_ERRORS as exc:
                log.error("inbox_unavailable", error=f"{type(exc).__name__}: {exc}", retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)


def turn_runner(pool: asyncpg.Pool) -> Callable[[list[Delivery]], Awaitable[bool]]:
    """Run one (possibly merged) turn and close its inbox rows. A turn the model could not answer stays open and
    is retried by its lane; a turn that failed otherwise stays pending for the next start."""

    async def run(batch: list[Delivery]) -> bool:
        ids = [d.update.update_id for d in batch]
        last = batch[-1]
        with structlog.contextvars.bound_contextvars(update_id=ids[-1], chat_id=last.chat_id):
            if not any(d.attempt for d in batch):  # waiting for the model is not a failed attempt
                await inbox.start_attempt(pool, ids)
            data = {**last.data, "burst": [d.update for d in batch], "attempt": max(d.attempt for d in batch)}
            try:
                outcome = await last.handler(last.update, data)
            except Exception:
                log.exception("turn_failed", update_ids=ids)
                return False
            if getattr(outcome, "error", None) == UNANSWERED:
                log.warning("turn_waits_for_model", update_ids=ids, attempt=data["attempt"])
                return True
            await inbox.mark_handled(pool, ids)
            log.info("turn_done", update_ids=ids)
            return False

    return run


async def replay_pending(dispatcher: Dispatcher, bot: Bot, pool: asyncpg.Pool) -> int:
    """Feed the updates whose turns never finished back through the dispatcher, oldest first."""
    for update_id in await inbox.give_up_exhausted(pool):
        log.error("update_abandoned", update_id=update_id)
    rows = await inbox.pending(pool)
    for payload in rows:
        await dispatcher.feed_update(bot, Update.model_validate(payload, context={"bot": bot}))
    if rows:
        log.info("inbox_replayed", updates=len(rows))
    return len(rows)
