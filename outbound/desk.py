"""The managers' chat as one queue: everything the bot posts there (mirrored customer messages, cards, notices) is
stored in `managers_outbox` first and sent in order by one task, so Telegram's group limit (about 20 messages a
minute, kept by the session's OutboundPacer) makes messages wait rather than get lost, and a restart resumes the
queue. In a forum each customer gets a topic; otherwise a customer's messages reply to the previous one about them.

Whatever Telegram answers, the queue goes on: 5xx and network errors are retried with backoff, 429 waited out, a
group migrated to a supergroup followed, a group that refuses the bot (403, chat not found) parks the queue (tried
again every MANAGERS_CHAT_RETRY) while customers are served, and one message Telegram refuses is set aside with its
reason.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyParameters

from outbound.managers_chat import ManagersChat
from storage import handoffs
from storage.handoffs import Outgoing

log = structlog.get_logger(__name__)

IDLE_CHECK = 1.0  # seconds between looks at the outbox when nobody woke the task (rows the re-alert job queued)
_BACKOFF = (1.0, 30.0)  # seconds: the first wait after a server or network error, and the longest
# Errors that say nothing about the group, only that Telegram, the network or Postgres is not answering right now.
_TRANSIENT = (TelegramServerError, TelegramNetworkError, OSError, TimeoutError, asyncpg.PostgresError,
              asyncpg.InterfaceError)
# A 400 about the chat itself (not about one message): the group is gone or the bot may not post there.
_CHAT_REFUSED = re.compile(r"chat not found|deactivated|kicked|not a member|not enough rights|have no rights|"
                           r"need administrator rights", re.IGNORECASE)


class ChatRefused(Exception):
    """The managers' group refuses the bot (403, or a 400 about the chat): nothing can be posted there now."""


class ManagersDesk:
    def __init__(self, pool: asyncpg.Pool, chat: ManagersChat, retry_every: float = 60.0) -> None:
        """`retry_every`: seconds between tries of a group that refused the bot (MANAGERS_CHAT_RETRY)."""
        self.pool = pool
        self.chat = chat
        self._retry_every = retry_every
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._forum: bool | None = None  # asked of Telegram when the drain (re)starts or the group moved
        self._crashes = 0  # unexpected errors in a row: the restart waits longer each time (up to _BACKOFF[1])

    @property
    def chat_id(self) -> int | None:
        """The managers' group as it is now (after a move), None when ADMIN_CHAT_ID is not set."""
        return self.chat.id

    def wake(self) -> None:
        self._wake.set()

    async def start(self, bot: Bot) -> None:
        """Start draining; never waits for the group, so a wrong or unreachable ADMIN_CHAT_ID cannot stop the bot."""
        if self.chat.id is None:
            log.warning("managers_chat_not_configured")
            return
        await self.chat.load()
        self._task = asyncio.create_task(self._run(bot), name="managers-desk")

    async def stop(self) -> None:
        """Rows not sent yet stay in the outbox for the next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self, bot: Bot) -> None:
        """The drain never ends silently: anything unexpected is logged with its traceback and it starts again."""
        while True:
            try:
                await self._drain(bot)
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = min(_BACKOFF[0] * 2 ** self._crashes, _BACKOFF[1])
                self._crashes += 1
                log.exception("managers_desk_crashed", restart_in=delay)
                self._forum = None
                await asyncio.sleep(delay)

    async def _drain(self, bot: Bot) -> None:
        delay = _BACKOFF[0]
        while True:
            self._wake.clear()
            try:
                if self._forum is None:
                    self._forum = bool((await self._about_chat(bot.get_chat(self.chat.id))).is_forum)
                    self.chat.reachable()
                for outgoing in await handoffs.pending_outgoing(self.pool):
                    await self._send(bot, outgoing)
                delay, self._crashes = _BACKOFF[0], 0
            except TelegramRetryAfter as exc:
                log.warning("managers_chat_rate_limited", retry_after=exc.retry_after)
                await asyncio.sleep(exc.retry_after)
                continue
            except TelegramMigrateToChat as exc:
                await self.chat.moved(exc.migrate_to_chat_id)
                self._forum = None
                continue
            except ChatRefused as exc:
                await self.chat.unreachable(bot, str(exc))
                self._forum = None  # the next try asks Telegram about the group first
                await self._sleep_or_wake(self._retry_every)
                continue
            except _TRANSIENT as exc:
                log.error("managers_desk_waiting", error=f"{type(exc).__name__}: {exc}", retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _BACKOFF[1])
                continue
            if not await handoffs.pending_outgoing(self.pool, limit=1):
                await self._sleep_or_wake(IDLE_CHECK)  # a periodic look: the re-alert job queues without waking

    async def _sleep_or_wake(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass

    @staticmethod
    async def _about_chat(call: Any) -> Any:
        """Await a call about the group; a refusal of the group itself becomes ChatRefused."""
        try:
            return await call
        except (TelegramForbiddenError, TelegramNotFound) as exc:
            raise ChatRefused(exc.message) from exc
        except TelegramBadRequest as exc:
            if _CHAT_REFUSED.search(exc.message):
                raise ChatRefused(exc.message) from exc
            raise

    async def _send(self, bot: Bot, outgoing: Outgoing) -> None:
        chat_id = self.chat.id
        try:
            placement = await self._placement(bot, outgoing.session_id)
            if outgoing.kind == "copy":
                sent: MessageId = await self._about_chat(bot.copy_message(
                    chat_id, outgoing.payload["from_chat_id"], outgoing.payload["message_id"], **placement))
                message_id = sent.message_id
            else:
                message = await self._about_chat(bot.send_message(
                    chat_id, outgoing.payload["text"], reply_markup=keyboard(outgoing.payload["buttons"]),
                    **placement))
                message_id = message.message_id
        except TelegramBadRequest as exc:
            # This one message cannot be delivered (the customer deleted it, a reply target is gone): it is kept
            # with the reason and the queue goes on.
            log.error("managers_message_undeliverable", outbox_id=outgoing.id, error=str(exc))
            await handoffs.mark_undeliverable(self.pool, outgoing.id, str(exc))
            return
        await handoffs.mark_sent(self.pool, outgoing.id, message_id, datetime.now(UTC))

    async def _placement(self, bot: Bot, session_id: str | None) -> dict[str, Any]:
        """Where a message about this customer goes: their forum topic, or a reply to the last one about them."""
        if session_id is None:
            return {}
        if self._forum:
            thread = await handoffs.topic_of(self.pool, session_id)
            if thread is None:
                topic = await self._about_chat(bot.create_forum_topic(self.chat.id, await topic_name(self.pool, session_id)))
                thread = topic.message_thread_id
                await handoffs.save_topic(self.pool, session_id, thread)
            return {"message_thread_id": thread}
        previous = await handoffs.latest_managers_message(self.pool, session_id)
        if previous is None:
            return {}
        return {"reply_parameters": ReplyParameters(message_id=previous, allow_sending_without_reply=True)}


async def topic_name(pool: asyncpg.Pool, session_id: str) -> str:
    facts = await handoffs.customer_facts(pool, session_id)
    name = " ".join(p for p in (facts["first_name"], facts["last_name"]) if p) if facts else ""
    return f"{name} · {session_id}"[:128] if name else session_id


def keyboard(buttons: list[list[dict[str, str]]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b["text"], callback_data=b["data"]) for b in row] for row in buttons])
