"""Orders into the CRM exactly once, and the CRM's order statuses back into ours.

An order is claimed (queued, the attempt counted and committed) before it is sent. Any later attempt first asks
the CRM for the order's external id: a timeout, a 5xx or a killed process may have left it created there, and then
it is recorded rather than sent a second time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from crm.alerts import CrmAlerts
from crm.client import CrmError, CrmUnauthorized, Failure, SitniksClient
from crm.payload import (
    crm_order_id,
    needs_status_list,
    order_note,
    order_payload,
    status_title,
    status_titles,
    tracking_number,
)
from crm.rules import FINAL, ORDER_EFFECT, CrmRules
from crm.texts import CrmTexts
from storage.crm import (
    OutboxOrder,
    claim_order,
    crm_product_ids,
    order_created,
    order_failed,
    order_retry,
    orders_to_poll,
    orders_to_send,
    record_crm_status,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OrderSync:
    pool: asyncpg.Pool
    client: SitniksClient
    rules: CrmRules
    texts: CrmTexts
    alerts: CrmAlerts
    prepayment: str  # the shop's prepayment amount, for the order's note

    async def send(self, now: datetime) -> Counter[str]:
        counts: Counter[str] = Counter()
        for outbox in await orders_to_send(self.pool, now):
            counts[f"orders_{await self._send(outbox, now)}"] += 1
        return counts

    async def _send(self, outbox: OutboxOrder, now: datetime) -> str:
        attempt = await claim_order(self.pool, outbox.id, now + self.rules.backoff(outbox.attempts + 1))
        if attempt is None:
            return "claimed_elsewhere"
        with structlog.contextvars.bound_contextvars(order_id=outbox.order_id, attempt=attempt):
            try:
                found = await self.client.find_order(outbox.external_id) if attempt > 1 else None
                crm_id = crm_order_id(found or await self.client.create_order(await self._payload(outbox)))
                if crm_id is None:
                    raise CrmError(Failure.RETRY, "the CRM answered without the order's id")
            except CrmUnauthorized as exc:
                await order_retry(self.pool, outbox.id, exc.reason, now + self.rules.backoff(attempt))
                raise
            except CrmError as exc:
                return await self._failed(outbox, attempt, exc, now)
            await order_created(self.pool, outbox.id, crm_id, now)
            log.info("crm_order_created", crm_order_id=crm_id, found_existing=found is not None)
        return "found" if found else "created"

    async def _payload(self, outbox: OutboxOrder) -> dict[str, object]:
        data = outbox.order_data
        products = await crm_product_ids(self.pool, {item["sku"] for item in data.get("items") or []})
        return order_payload(data, products, order_note(self.texts, data, self.prepayment))

    async def _failed(self, outbox: OutboxOrder, attempt: int, exc: CrmError, now: datetime) -> str:
        if exc.failure is Failure.REJECTED:
            log.error("crm_order_rejected", reason=exc.reason)
            await order_failed(self.pool, outbox.id, exc.reason)
            await self.alerts.order_failed(outbox.external_id, outbox.order_id, exc.reason, now)
            return "failed"
        if exc.failure is Failure.FORBIDDEN:
            await self.alerts.forbidden(exc.reason, now)
            await order_retry(self.pool, outbox.id, exc.reason, now + self.rules.retry_max)
            return "held"
        retry_at = now + self.rules.backoff(attempt)
        log.warning("crm_order_retry", reason=exc.reason, retry_at=retry_at.isoformat())
        await order_retry(self.pool, outbox.id, exc.reason, retry_at)
        return "retried"

    async def poll(self, now: datetime) -> Counter[str]:
        """Read each created order's status from the CRM (every poll interval) and record what changed."""
        counts: Counter[str] = Counter()
        titles: dict[str, str] | None = None
        for outbox in await orders_to_poll(self.pool, now):
            next_poll = now + self.rules.poll_interval
            try:
                order = await self.client.order(str(outbox.crm_order_id))
                if titles is None and needs_status_list(order):
                    titles = status_titles(await self.client.order_statuses())
            except CrmUnauthorized:
                raise
            except CrmError as exc:
                if exc.failure is Failure.FORBIDDEN:
                    await self.alerts.forbidden(exc.reason, now)
                log.warning("crm_status_poll_failed", order_id=outbox.order_id, reason=exc.reason)
                await record_crm_status(self.pool, outbox, outbox.status, {"poll_error": exc.reason}, None, (),
                                        next_poll)
                counts["statuses_failed"] += 1
                continue
            title = status_title(order, titles or {})
            status = self.rules.our_status(outbox.status, title)
            metadata = {"crm_status": title, "synced_at": now.isoformat(), "poll_error": None}
            if tracking := tracking_number(order):
                metadata["tracking"] = tracking
            effect, allowed_from = ORDER_EFFECT[status] if status != outbox.status else (None, ())
            await record_crm_status(self.pool, outbox, status, metadata, effect, allowed_from,
                                    None if status in FINAL else next_poll)
            if status != outbox.status:
                log.info("crm_order_status_changed", order_id=outbox.order_id, status=status)
                counts["statuses_changed"] += 1
        return counts
