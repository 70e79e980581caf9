"""The CRM chat's life: taken into work with the AI manager, invoiced, needing a human's attention.

Each status is a pending row the sync sweep pushes, per chat in order; a chat's later statuses wait while an
earlier one is retried. Setting a status or a manager again is harmless, so a push cut off half-way is redone.
A CRM chat is found by the customer's Telegram username (`userNickName`) among the chats CREATED within
CRM_CHAT_SEARCH_LOOKBACK, every page. Assigning a manager is opt-in (SITNIKS_ASSIGN_MANAGERS): the public API offers
no known way, so a failed assignment is logged and the status still counts as set.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

import asyncpg
import structlog

from crm.alerts import CrmAlerts
from crm.client import CrmError, CrmUnauthorized, Failure, SitniksClient
from crm.payload import chat_id as chat_id_of
from crm.payload import chat_username, manager_name
from crm.rules import CrmRules
from storage.crm_chats import (
    ChatStatus,
    chat_mapping_changed,
    chat_status_done,
    chat_status_retry,
    chat_status_skipped,
    pending_chat_statuses,
    save_chat_mapping,
)

log = structlog.get_logger(__name__)

# A chat the CRM still does not list after this many lookups (each after a backoff) is left alone.
MAX_CHAT_LOOKUPS = 5


class NotYet(Exception):
    """The CRM does not list the chat (yet)."""


@dataclass
class ChatLifecycle:
    pool: asyncpg.Pool
    client: SitniksClient
    rules: CrmRules
    alerts: CrmAlerts
    _managers: dict[str, int] | None = field(default=None, init=False)

    async def push(self, now: datetime) -> Counter[str]:
        counts: Counter[str] = Counter()
        self._managers = None  # read again each sweep: managers change in the CRM
        for _, statuses in groupby(await pending_chat_statuses(self.pool, now), key=lambda s: s.session_id):
            chat_id: str | None = None
            for status in statuses:
                if not status.due:
                    break
                chat_id = chat_id or status.sitniks_chat_id
                try:
                    outcome, chat_id = await self._push(status, chat_id, now)
                except CrmUnauthorized:
                    raise
                except Exception as exc:  # one chat's trouble stays with that chat
                    log.exception("crm_chat_status_error", chat_id=status.session_id)
                    await chat_status_retry(self.pool, status.id, f"{type(exc).__name__}: {exc}",
                                            now + self.rules.backoff(status.attempts + 1))
                    outcome = "retried"
                counts[f"chat_{outcome}"] += 1
                if outcome == "retried":
                    break  # the chat's later statuses wait for this one
        return counts

    async def _push(self, status: ChatStatus, chat_id: str | None, now: datetime) -> tuple[str, str | None]:
        try:
            if chat_id is None and status.kind != "taken":
                await chat_status_skipped(self.pool, status.id, now, "no CRM chat: it was never found")
                return "skipped", None
            if chat_id is None and not status.username:
                await chat_status_skipped(self.pool, status.id, now, "no CRM chat: no Telegram username to find it")
                return "skipped", None
            chat_id = chat_id or await self._find_chat(status, now)
            title = self.rules.chat_titles[status.kind]
            await self.client.set_chat_status(chat_id, title)
            manager_id = await self._assign(chat_id, self.rules.managers.get(status.kind), now)
        except NotYet:
            return await self._not_found(status, now), None
        except CrmUnauthorized:
            raise
        except CrmError as exc:
            return await self._failed(status, exc, now), chat_id
        await chat_mapping_changed(self.pool, chat_id, title, manager_id)
        await chat_status_done(self.pool, status.id, now)
        log.info("crm_chat_status_set", chat_id=status.session_id, status=status.kind)
        return "done", chat_id

    async def _find_chat(self, status: ChatStatus, now: datetime) -> str:
        assert status.username is not None
        wanted = status.username.lstrip("@").casefold()
        # The end is a day ahead: the CRM's clock (and the time zone it assumes) need not be ours.
        async for chat in self.client.chats(now - self.rules.chat_search_lookback, now + timedelta(days=1)):
            if chat_username(chat) == wanted:
                found = chat_id_of(chat)
                await save_chat_mapping(self.pool, status.session_id, status.username, found, now)
                return found
        raise NotYet

    async def _assign(self, chat_id: str, name: str | None, now: datetime) -> int | None:
        """The manager's id once assigned; None when assignment is off, unnamed, unknown or refused (logged)."""
        if not name or not self.rules.assign_managers:
            return None
        try:
            if self._managers is None:
                self._managers = {manager_name(m).casefold(): int(m["id"]) for m in await self.client.managers()}
            manager_id = self._managers.get(name.casefold())
            if manager_id is None:
                await self.alerts.manager_missing(name, now)
                return None
            await self.client.assign_manager(chat_id, manager_id)
        except CrmUnauthorized:
            raise
        except CrmError as exc:
            log.warning("crm_manager_not_assigned", chat_id=chat_id, reason=exc.reason)
            return None
        return manager_id

    async def _not_found(self, status: ChatStatus, now: datetime) -> str:
        if status.attempts + 1 >= MAX_CHAT_LOOKUPS:
            await chat_status_skipped(self.pool, status.id, now, "no CRM chat: not listed by the CRM")
            return "skipped"
        await chat_status_retry(self.pool, status.id, "the CRM does not list the chat yet",
                                now + self.rules.backoff(status.attempts + 1))
        return "retried"

    async def _failed(self, status: ChatStatus, exc: CrmError, now: datetime) -> str:
        if exc.failure is Failure.REJECTED:
            log.warning("crm_chat_status_rejected", chat_id=status.session_id, reason=exc.reason)
            await chat_status_skipped(self.pool, status.id, now, exc.reason)
            return "skipped"
        if exc.failure is Failure.FORBIDDEN:
            await self.alerts.forbidden(exc.reason, now)
            await chat_status_retry(self.pool, status.id, exc.reason, now + self.rules.retry_max)
            return "retried"
        log.warning("crm_chat_status_retry", chat_id=status.session_id, reason=exc.reason)
        await chat_status_retry(self.pool, status.id, exc.reason, now + self.rules.backoff(status.attempts + 1))
        return "retried"
