"""Alerts to the managers about the CRM, each sent once: claimed in Postgres and queued for the managers' group in
one transaction (the group's queue delivers it whatever Telegram answers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from crm.texts import CrmTexts
from storage.crm import alert_claimed, claim_alert

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CrmAlerts:
    pool: asyncpg.Pool
    tell_managers: bool  # ADMIN_CHAT_ID is set; without it an alert is only claimed and logged
    texts: CrmTexts
    fingerprint: str  # of the API key: a new key gets its own alerts and a fresh start after a 401

    @property
    def unauthorized_key(self) -> str:
        return f"unauthorized:{self.fingerprint}"

    async def once(self, key: str, text: str, now: datetime) -> None:
        if await claim_alert(self.pool, key, text, now, self.tell_managers):
            log.warning("crm_alert", alert=key, managers_told=self.tell_managers)

    async def unauthorized(self, reason: str, now: datetime) -> None:
        log.error("crm_key_refused", reason=reason, key_fingerprint=self.fingerprint)
        await self.once(self.unauthorized_key, self.texts.say("alert_unauthorized"), now)

    async def stopped(self) -> bool:
        """The CRM refused this key before: nothing is tried until SITNIKS_API_KEY changes."""
        return await alert_claimed(self.pool, self.unauthorized_key)

    async def forbidden(self, reason: str, now: datetime) -> None:
        await self.once(f"forbidden:{self.fingerprint}", self.texts.say("alert_forbidden", reason=reason), now)

    async def manager_missing(self, name: str, now: datetime) -> None:
        await self.once(f"manager_missing:{name.casefold()}", self.texts.say("alert_manager_missing", name=name), now)

    async def order_unsendable(self, external_id: str, order: object, reason: str, now: datetime) -> None:
        await self.once(f"order_failed:{external_id}",
                        self.texts.say("alert_order_unsendable", order=order, reason=reason), now)

    async def variation_missing(self, sku: str, product: str, size: str, color: str | None, order: object,
                                now: datetime) -> None:
        """Once per unmapped (product, size, colour), however many orders wait for it."""
        await self.once(f"variation_missing:{sku}:{size}:{color or ''}", self.texts.say(
            "alert_variation_missing", order=order, product=product, sku=sku, size=size,
            color=f", колір {color}" if color else ""), now)

    async def order_failed(self, external_id: str, order: object, reason: str, now: datetime) -> None:
        await self.once(f"order_failed:{external_id}", self.texts.say("alert_order_failed", order=order, reason=reason),
                        now)
