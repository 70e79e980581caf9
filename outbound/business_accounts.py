"""Which customer chats are reached through a Telegram Business connection, and whether that connection may be used.

Telegram facts (https://core.telegram.org/bots/api#businessconnection): a `business_connection` update says who owns
the account (`user`), whether the connection `is_enabled`, and its `rights` (`can_reply`: the bot may send and read
messages in the account's private chats). A connection the bot never heard about is asked for with
getBusinessConnection. One process serves the shop, so what is cached here is what Postgres holds.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog
from aiogram import Bot
from aiogram.types import BusinessConnection, Message

from outbound.desk import ManagersDesk
from outbound.texts import AdminTexts, Text
from storage import business, handoffs
from storage.business import BusinessChat, Connection

log = structlog.get_logger(__name__)


def described_connection(event: BusinessConnection) -> Connection:
    """Our record of Telegram's BusinessConnection; `rights.can_reply` (Bot API 9.0) or the older `can_reply`."""
    can_reply = event.rights.can_reply if event.rights is not None else event.can_reply
    return Connection(event.id, event.user.id, event.user.full_name, event.is_enabled, bool(can_reply), False)


class BusinessAccounts:
    def __init__(self, pool: asyncpg.Pool, desk: ManagersDesk, texts: AdminTexts) -> None:
        self._pool = pool
        self._desk = desk
        self._texts = texts
        self._connections: dict[str, Connection] = {}
        self._chats: dict[int, str] = {}  # chat → its connection id; a chat not here is a plain bot chat

    async def load(self) -> None:
        """Read the chats linked to connections: at start, and again after another process polled the same token
        (a deploy overlap: it may have linked chats). Otherwise links change only through this object (one process
        serves the shop), so a plain bot chat costs no query."""
        self._chats = await business.linked_chats(self._pool)

    async def connection(self, bot: Bot, connection_id: str) -> Connection:
        """The connection by id; one Telegram never announced to us (made while the bot was down) is looked up.
        Raises aiogram's TelegramBadRequest when Telegram does not know it either."""
        known = self._connections.get(connection_id) or await business.connection(self._pool, connection_id)
        if known is None:
            known = await self.changed(await bot.get_business_connection(connection_id))
        self._connections[connection_id] = known
        return known

    async def changed(self, event: BusinessConnection) -> Connection:
        """Telegram reports the connection (new, rights changed, disabled, enabled again). The managers hear once
        that the assistant cannot write to customers, and once that it can again."""
        now = described_connection(event)
        before = await business.save_connection(self._pool, now)
        self._connections[now.id] = now
        log.info("business_connection_changed", connection=now.id, enabled=now.is_enabled, can_reply=now.can_reply)
        if not now.usable:
            await self._alert(now)
        elif before is not None and await business.clear_alert(self._pool, now.id):
            await self._tell(self._texts(Text.BUSINESS_RESUMED, owner=now.owner_name))
        return now

    async def refused(self, connection_id: str) -> None:
        """Telegram refused a send through the connection: treat it as disabled until it reports otherwise."""
        known = self._connections.get(connection_id) or await business.connection(self._pool, connection_id)
        if known is None:
            return
        closed = Connection(known.id, known.owner_id, known.owner_name, False, known.can_reply, known.alerted)
        await business.save_connection(self._pool, closed)
        self._connections[connection_id] = closed
        await self._alert(closed)

    async def _alert(self, connection: Connection) -> None:
        if await business.claim_alert(self._pool, connection.id, datetime.now(UTC)):
            log.warning("business_connection_unusable", connection=connection.id)
            await self._tell(self._texts(Text.BUSINESS_UNUSABLE, owner=connection.owner_name))

    async def _tell(self, text: str) -> None:
        await handoffs.enqueue_text(self._pool, None, text)
        self._desk.wake()

    async def chat(self, chat_id: int) -> BusinessChat | None:
        """The chat's link to a connection, with the connection as it is now; None for a plain bot chat."""
        if chat_id not in self._chats:
            return None
        link = await business.chat(self._pool, chat_id)
        if link is None:  # unbound by another process (the old one, during a deploy); a concurrent look-up may
            self._chats.pop(chat_id, None)  # have learned it first
            return None
        current = self._connections.setdefault(link.connection.id, link.connection)
        return BusinessChat(link.chat_id, current, link.opened_by_customer)

    async def joined(self, message: Message, opened_by_customer: bool) -> BusinessChat:
        """A business message arrived in this chat: from now on the chat is reached through its connection (who
        opened the chat is kept from the first message seen)."""
        assert message.bot is not None and message.business_connection_id is not None
        connection = await self.connection(message.bot, message.business_connection_id)
        if self._chats.get(message.chat.id) != connection.id:
            await business.bind_chat(self._pool, message.chat.id, connection.id, opened_by_customer)
            self._chats[message.chat.id] = connection.id
        link = await self.chat(message.chat.id)
        assert link is not None
        return link

    async def unbind(self, chat_id: int) -> None:
        """The customer wrote to the bot itself: the bot chat is where replies go now."""
        if await self.chat(chat_id) is not None:
            await business.unbind_chat(self._pool, chat_id)
            self._chats.pop(chat_id, None)  # a send meanwhile may have seen the link gone and dropped it
