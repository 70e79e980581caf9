"""The managers' chat as one queue: everything the bot posts there (mirrored customer messages, cards, notices) is
stored in `managers_outbox` first and sent in order by one task, so Telegram's group limit (about 20 messages a
minute, kept by the session's OutboundPacer) makes messages wait rather than get lost, and a restart resumes the
queue. In a forum each customer gets a topic; otherwise a customer's messages reply to the previous one about them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyParameters

from storage import handoffs
from storage.handoffs import Outgoing

log = structlog.get_logger(__name__)

IDLE_CHECK = 1.0  # seconds between looks at the outbox when nobody woke the task (rows the re-alert job queued)
_NETWORK_BACKOFF = (1.0, 30.0)


class ManagersDesk:
    def __init__(self, pool: asyncpg.Pool, chat_id: int | None) -> None:
        self.pool = pool
        self.chat_id = chat_id
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._forum = False

    def wake(self) -> None:
        self._wake.set()

    async def start(self, bot: Bot) -> None:
        if self.chat_id is None:
            log.warning("managers_chat_not_configured")
            return
        self._forum = bool((await bot.get_chat(self.chat_id)).is_forum)
        self._task = asyncio.create_task(self._drain(bot), name="managers-desk")

    async def stop(self) -> None:
        """Rows not sent yet stay in the outbox for the next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _drain(self, bot: Bot) -> None:
        delay = _NETWORK_BACKOFF[0]
        while True:
            self._wake.clear()
            try:
                for outgoing in await handoffs.pending_outgoing(self.pool):
                    await self._send(bot, outgoing)
                delay = _NETWORK_BACKOFF[0]
            except TelegramRetryAfter as exc:
                log.warning("managers_chat_rate_limited", retry_after=exc.retry_after)
                await asyncio.sleep(exc.retry_after)
                continue
            except (TelegramNetworkError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.error("managers_desk_waiting", error=f"{type(exc).__name__}: {exc}", retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _NETWORK_BACKOFF[1])
                continue
            if not await handoffs.pending_outgoing(self.pool, limit=1):
                try:
                    await asyncio.wait_for(self._wake.wait(), IDLE_CHECK)
                except TimeoutError:
                    pass  # a periodic look: the re-alert job queues rows without waking this task

    async def _send(self, bot: Bot, outgoing: Outgoing) -> None:
        assert self.chat_id is not None
        try:
            placement = await self._placement(bot, outgoing.session_id)
            if outgoing.kind == "copy":
                sent: MessageId = await bot.copy_message(
                    self.chat_id, outgoing.payload["from_chat_id"], outgoing.payload["message_id"], **placement)
                message_id = sent.message_id
            else:
                message = await bot.send_message(self.chat_id, outgoing.payload["text"],
                                                 reply_markup=keyboard(outgoing.payload["buttons"]), **placement)
                message_id = message.message_id
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            # This message cannot be delivered (deleted by the customer, the bot removed from the chat): it is kept
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
                topic = await bot.create_forum_topic(self.chat_id, await topic_name(self.pool, session_id))
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
