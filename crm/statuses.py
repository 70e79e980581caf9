"""The shop's own order statuses: read from GET /open-api/orders/statuses (cached, read again daily) and mapped to
ours by id as well as by title, so a status the shop renames still maps.

Settings name statuses by title, in the shop's words. Each time the list is read, every status whose title is in
the settings has its id remembered in Postgres (crm_order_status_ids); later an order's status maps by that id
first, whatever the status is called by then, and by title otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog

from crm.client import CrmError, CrmUnauthorized, SitniksClient
from storage.crm import learn_status_ids, status_ids

log = structlog.get_logger(__name__)

REFRESH = timedelta(days=1)


@dataclass
class StatusBook:
    pool: asyncpg.Pool
    client: SitniksClient
    by_title: dict[str, str]  # a status title (casefolded) → ours, from settings
    _read_at: datetime | None = field(default=None, init=False)
    _titles: dict[str, str] = field(default_factory=dict, init=False)  # the CRM's status id → its current title
    _ids: dict[str, str] = field(default_factory=dict, init=False)  # the CRM's status id → ours

    async def refresh(self, now: datetime) -> None:
        """Read the shop's list when it was never read or a day has passed; a failure keeps what was known."""
        if self._read_at is not None and now - self._read_at < REFRESH:
            return
        try:
            statuses = await self.client.order_statuses()
        except CrmUnauthorized:
            raise
        except CrmError as exc:
            log.warning("crm_status_list_failed", reason=exc.reason)
            self._ids = self._ids or await status_ids(self.pool)
            return
        self._titles = {str(s["id"]): str(s.get("title") or s.get("name") or "") for s in statuses
                        if s.get("id") is not None}
        known = {status_id: (self.by_title[title.casefold()], title) for status_id, title in self._titles.items()
                 if title.casefold() in self.by_title}
        await learn_status_ids(self.pool, known, now)
        self._ids, self._read_at = await status_ids(self.pool), now

    def ours(self, order: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """(our status or None when unmapped, the CRM's title) for an order's `status` {id, title} (or a bare
        title) or `statusId`."""
        status = order.get("status")
        status_id = status.get("id") if isinstance(status, Mapping) else order.get("statusId")
        title = (status.get("title") or status.get("name")) if isinstance(status, Mapping) else status
        if status_id is not None:
            title = title or self._titles.get(str(status_id))
            if str(status_id) in self._ids:
                return self._ids[str(status_id)], title
        title = str(title) if title else None
        return self.by_title.get((title or "").casefold()), title
