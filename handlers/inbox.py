"""The inbox middleware: every update is stored in Postgres before anything else happens to it.

Polling runs with handle_as_tasks=False, so Telegram's offset moves past an update only after this middleware
returned, i.e. after the update is safely stored. While Postgres is unreachable the middleware keeps retrying and
polling waits: the update is neither acknowledged nor dropped. The turn itself runs later in the chat's lane.

A value Postgres refuses is not an outage: characters it cannot store (NUL, lone surrogates) are removed from the
whole update before anything sees it, so texts, captions, callback data and names reach every table clean, and
the row notes the removal. An update refused even then is quarantined (kept as ids and the reason, one alert to
the managers) and acknowledged; polling goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import structlog
from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import GetUpdates
from aiogram.types import TelegramObject, Update

from config.logs import mask
from config.names import customer_words
from handlers.lanes import ChatLanes, Delivery
from outbound.desk import ManagersDesk
from outbound.texts import AdminTexts, Text
from storage import handoffs, inbox
from storage.sanitize import clean, clean_text, is_data_error

log = structlog.get_logger(__name__)

UNANSWERED = "llm_unavailable"  # the outcome of a turn the model could not answer
_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
T = TypeVar("T")


def chat_of(update: Update) -> int:
    event = update.event
    for owner in (event, getattr(event, "message", None)):
        chat = getattr(owner, "chat", None)
        if chat is not None:
            return int(chat.id)
    user = getattr(event, "from_user", None)
    return int(user.id) if user is not None else 0


class ArrivalStore:
    """A request middleware on the bot session: each getUpdates answer is stored in the inbox in one statement
    before aiogram hands the first of its updates to the dispatcher, instead of one round trip per update on the
    polling path, which handles updates one after another. An update it did not store (one that needed cleaning, a
    batch Postgres refused or could not take) is stored by InboxMiddleware on its own, as before."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._arrivals: dict[int, inbox.Arrival] = {}

    async def __call__(self, make_request, bot, method):  # type: ignore[no-untyped-def]
        updates = await make_request(bot, method)
        if isinstance(method, GetUpdates) and updates:
            try:  # whatever fails here, each update goes its own way through InboxMiddleware: retried or quarantined
                batch = []
                for update in updates:
                    payload, removed = clean(update.model_dump(mode="json", exclude_none=True))
                    if not removed:
                        batch.append((update.update_id, chat_of(update), payload, None))
                self._arrivals.update(await inbox.record_arrivals(self._pool, batch))
            except Exception as exc:
                log.warning("inbox_batch_not_stored", updates=len(updates), error=type(exc).__name__)
        return updates

    def take(self, update_id: int) -> inbox.Arrival | None:
        """How the update arrived, if this store stored it (once: the entry is removed)."""
        return self._arrivals.pop(update_id, None)


class InboxMiddleware(BaseMiddleware):
    def __init__(self, pool: asyncpg.Pool, lanes: ChatLanes, arrivals: ArrivalStore) -> None:
        self._pool = pool
        self._lanes = lanes
        self._arrivals = arrivals

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        chat_id = chat_of(event)
        with (structlog.contextvars.bound_contextvars(update_id=event.update_id, chat_id=chat_id),
              customer_words(*telegram_names(data))):
            event, arrival = await self._store(event, chat_id, data)
            if arrival is inbox.Arrival.QUARANTINED:
                return None
            if arrival is inbox.Arrival.HANDLED or self._lanes.is_queued(event.update_id):
                log.info("update_duplicate_skipped", arrival=arrival.value)
                return None
            log.info("update_received", arrival=arrival.value, kind=event.event_type)
            self._lanes.submit(Delivery(event, chat_id, handler, data))
        return None

    async def _store(self, update: Update, chat_id: int, data: dict[str, Any]) -> tuple[Update, inbox.Arrival]:
        """Store the update (cleaned, if it had to be); returns the update the handlers get and how it arrived."""
        stored = self._arrivals.take(update.update_id)
        if stored is not None:
            return update, stored
        payload, removed = clean(update.model_dump(mode="json", exclude_none=True))
        note = None
        if removed:
            note = f"removed {removed} character(s) Postgres cannot store"
            update = Update.model_validate(payload, context={"bot": data["bot"]})
            await UserContextMiddleware()(_unchanged, update, data)  # event_from_user, event_chat… from the clean one
            log.warning("update_sanitised", removed=removed)
        try:
            return update, await self._retrying(lambda: inbox.record(self._pool, update.update_id, chat_id, payload,
                                                                     note))
        except Exception as exc:
            if not is_data_error(exc):
                raise
            reason = mask(clean_text(f"{type(exc).__name__}: {exc}"))  # the managers read it: no phone in it
        log.error("update_quarantined", error=reason)
        try:
            first = await self._retrying(lambda: inbox.quarantine(self._pool, update.update_id, chat_id, reason))
        except Exception as exc:  # not even its ids can be stored: acknowledged all the same, polling goes on
            if not is_data_error(exc):
                raise
            log.error("update_dropped", error=f"{type(exc).__name__}")
            first = True
        if first:
            await self._alert(data, update.update_id, chat_id, reason)
        return update, inbox.Arrival.QUARANTINED

    async def _retrying(self, store: Callable[[], Awaitable[T]]) -> T:
        """Retry while Postgres is unreachable; a value it refuses is raised at once."""
        delay = 0.5
        while True:
            try:
                return await store()
            except _DB_ERRORS as exc:
                if is_data_error(exc):
                    raise
                log.error("inbox_unavailable", error=f"{type(exc).__name__}: {exc}", retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    async def _alert(self, data: dict[str, Any], update_id: int, chat_id: int, reason: str) -> None:
        desk: ManagersDesk = data["desk"]
        if desk.chat_id is None:
            return
        texts: AdminTexts = data["admin_texts"]
        await self._retrying(lambda: handoffs.enqueue_text(
            self._pool, None, texts(Text.UPDATE_QUARANTINED, update_id=update_id, chat_id=chat_id, reason=reason)))
        desk.wake()


def turn_runner(pool: asyncpg.Pool) -> Callable[[list[Delivery]], Awaitable[bool]]:
    """Run one (possibly merged) turn and close its inbox rows. A turn the model could not answer stays open and
    is retried by its lane; a turn that failed on a value Postgres refuses is closed with the reason; a turn that
    failed otherwise stays pending for the next start. A pressed button is answered whatever happened."""

    async def run(batch: list[Delivery]) -> bool:
        ids = [d.update.update_id for d in batch]
        last = batch[-1]
        names = [n for d in batch for n in telegram_names(d.data)]  # the recorded ones join in CustomerMiddleware
        with (structlog.contextvars.bound_contextvars(update_id=ids[-1], chat_id=last.chat_id),
              customer_words(*names)):
            data = {**last.data, "burst": [d.update for d in batch], "attempt": max(d.attempt for d in batch)}
            try:
                outcome = await last.handler(last.update, data)
            except Exception as exc:
                log.exception("turn_failed", update_ids=ids)
                await _answer_button(last.update)
                if is_data_error(exc):  # the same value fails the same way at every start: close it
                    await inbox.close_refused(pool, ids, clean_text(f"{type(exc).__name__}: {exc}"))
                return False
            if getattr(outcome, "error", None) == UNANSWERED:
                log.warning("turn_waits_for_model", update_ids=ids, attempt=data["attempt"])
                return True
            await inbox.mark_handled(pool, ids)
            log.info("turn_done", update_ids=ids)
            return False

    return run


def telegram_names(data: dict[str, Any]) -> list[str]:
    """The sender's Telegram first name, last name and username from aiogram's handler data (may be empty)."""
    user = data.get("event_from_user")
    return [n for n in (user.first_name, user.last_name, user.username) if n] if user is not None else []


async def _unchanged(_: TelegramObject, __: dict[str, Any]) -> None:
    return None


async def _answer_button(update: Update) -> None:
    """A pressed button whose turn failed still gets its answer, or the customer's spinner turns for a while."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer()
    except TelegramAPIError:  # already answered, or too old to answer
        pass


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
