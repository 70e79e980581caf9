"""A chat with the managers that nobody answered for HANDOFF_REALERT_AFTER: the managers' chat hears of it again,
once per handoff (claimed in Postgres, so a second sweep or a second process does not repeat it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import structlog

from outbound.managers_cards import TAKE, customer_name
from outbound.texts import AdminTexts, Text
from storage import handoffs

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class HandoffRealert:
    pool: asyncpg.Pool
    texts: AdminTexts
    after: timedelta

    async def sweep(self, now: datetime) -> dict[str, int]:
        waiting = await handoffs.claim_realerts(self.pool, now - self.after, now)
        failed = 0
        for handoff in waiting:
            try:
                await self._realert(handoff.session_id)
            except Exception as exc:  # claimed, so not repeated: one error line, and the other chats go on
                failed += 1
                log.error("handoff_realert_failed", session=handoff.session_id, error=type(exc).__name__,
                          exc_info=exc)
        return {"chats_realerted": len(waiting) - failed, "failed": failed}

    async def _realert(self, session_id: str) -> None:
        facts = await handoffs.customer_facts(self.pool, session_id)
        text = self.texts(Text.REALERT, name=customer_name(facts), session_id=session_id,
                          minutes=int(self.after.total_seconds() // 60))
        # Queued for the managers' chat; its sender picks the row up within seconds.
        take = {"text": self.texts(Text.TAKE_BUTTON), "data": f"{TAKE}:{session_id}"}
        await handoffs.enqueue_text(self.pool, session_id, text, [[take]])
