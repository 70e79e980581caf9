"""The CRM sync sweep: chat statuses derived from the conversations, orders sent, statuses read back, customers
told about shipments. Everything it knows comes from Postgres on each run, so a killed run is simply run again.
"""

from __future__ import annotations

from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import asyncpg
import structlog
from aiogram import Bot

from config.settings import Settings
from config.shop import Shop
from crm.alerts import CrmAlerts
from crm.chats import ChatLifecycle
from crm.client import CrmUnauthorized, SitniksClient
from crm.orders import OrderSync
from crm.rules import CrmRules
from crm.shipping import ShippingNotices
from crm.statuses import StatusBook
from crm.texts import load_crm_texts
from outbound.replies import send_text
from storage.crm_chats import derive_chat_statuses

log = structlog.get_logger(__name__)


def open_sitniks(settings: Settings, stack: AsyncExitStack) -> SitniksClient | None:
    """The CRM client, closed with the process; None (said once at start) when SITNIKS_API_KEY is unset."""
    key = settings.sitniks_api_key.get_secret_value().strip() if settings.sitniks_api_key else ""
    if not key:
        log.info("crm_disabled", reason="SITNIKS_API_KEY is not set: orders are kept in Postgres and reach the "
                                        "managers in Telegram only")
        return None
    client = SitniksClient(settings.sitniks_api_url, key, settings.crm_timeout)
    stack.push_async_callback(client.close)
    return client


@dataclass(frozen=True)
class CrmSync:
    pool: asyncpg.Pool
    rules: CrmRules
    alerts: CrmAlerts
    chats: ChatLifecycle
    orders: OrderSync
    shipping: ShippingNotices

    async def sweep(self, now: datetime) -> dict[str, int]:
        counts: Counter[str] = Counter()
        if await self.alerts.stopped():
            counts["stopped_key_refused"] = 1
        else:
            try:
                counts["chat_statuses_new"] = await derive_chat_statuses(self.pool, now, now - self.rules.chat_lookback)
                counts += await self.chats.push(now)
                counts += await self.orders.send(now)
                counts += await self.orders.poll(now)
            except CrmUnauthorized as exc:
                await self.alerts.unauthorized(exc.reason, now)
                counts["key_refused"] = 1
        counts += await self.shipping.announce(now)  # needs Telegram, not the CRM
        return dict(counts)


def crm_sweep(settings: Settings, pool: asyncpg.Pool, bot: Bot, shop: Shop, client: SitniksClient) -> CrmSync:
    rules, texts = CrmRules.from_settings(settings), load_crm_texts()
    alerts = CrmAlerts(pool, settings.admin_chat_id is not None, texts, client.fingerprint)
    return CrmSync(
        pool, rules, alerts,
        chats=ChatLifecycle(pool, client, rules, alerts),
        orders=OrderSync(pool, client, rules, texts, alerts, shop.payment.prepayment,
                         StatusBook(pool, client, rules.order_statuses)),
        shipping=ShippingNotices(pool, shop, partial(send_text, bot, pool)),
    )
