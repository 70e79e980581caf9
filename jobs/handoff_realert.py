"""A chat with the managers that nobody answered for HANDOFF_REALERT_AFTER: the managers' chat hears of it again,
once per handoff (claimed in Postgres, so a second sweep or a second process does not repeat it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from handlers.admin.cards import TAKE, customer_name
from handlers.admin.texts import AdminTexts, Text
from storage import handoffs


@dataclass(frozen=True)
class HandoffRealert:
    pool: asyncpg.Pool
    texts: AdminTexts
    after: timedelta

    async def sweep(self, now: datetime) -> dict[str, int]:
        waiting = await handoffs.claim_realerts(self.pool, now - self.after, now)
        for handoff in waiting:
            facts = await handoffs.customer_facts(self.pool, handoff.session_id)
            text = self.texts(Text.REALERT, name=customer_name(facts), session_id=handoff.session_id,
                              minutes=int(self.after.total_seconds() // 60))
            # Queued for the managers' chat; its sender picks the row up within seconds.
            take = {"text": self.texts(Text.TAKE_BUTTON), "data": f"{TAKE}:{handoff.session_id}"}
            await handoffs.enqueue_text(self.pool, handoff.session_id, text, [[take]])
        return {"chats_realerted": len(waiting)}
