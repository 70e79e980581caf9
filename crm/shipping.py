"""Telling the customer their order is on its way, once, when the CRM marks it shipped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog
from aiogram.exceptions import TelegramBadRequest

from config.shop import Shop
from storage.crm import claim_shipped_notice, shipments_to_announce
from storage.customers import add_message

log = structlog.get_logger(__name__)

Send = Callable[[int, str], Awaitable[bool]]  # (chat id, text) -> False when the customer blocked the bot


@dataclass(frozen=True)
class ShippingNotices:
    pool: asyncpg.Pool
    shop: Shop
    send: Send

    async def announce(self, now: datetime) -> Counter[str]:
        counts: Counter[str] = Counter()
        for shipment in await shipments_to_announce(self.pool):
            if not await claim_shipped_notice(self.pool, shipment.id, now):
                continue
            text = (self.shop.text("shipped", order=shipment.order_id, tracking=shipment.tracking) if shipment.tracking
                    else self.shop.text("shipped_without_tracking", order=shipment.order_id))
            with structlog.contextvars.bound_contextvars(chat_id=shipment.session_id, order_id=shipment.order_id):
                try:
                    delivered = await self.send(int(shipment.session_id), text)
                except TelegramBadRequest as exc:  # the chat is gone: this notice is over, the sweep goes on
                    log.warning("shipping_notice_failed", error=str(exc))
                    counts["shipping_notices_failed"] += 1
                    continue
                if not delivered:
                    counts["shipping_notices_blocked"] += 1
                    continue
                await add_message(self.pool, shipment.session_id, None, "assistant", text, tags=["crm", "shipped"])
                log.info("shipping_notice_sent")
                counts["shipping_notices_sent"] += 1
        return counts
