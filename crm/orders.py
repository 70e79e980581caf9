"""Orders into the CRM exactly once, and the CRM's order statuses back into ours.

Before an order is sent its body is built from the outbox row and the catalog: a row that can never become a
request (no items, a product the catalog lacks) is failed with its reason and one alert; an order whose size has no
CRM variation yet waits (one alert naming product and size) until the catalog maps it. Then the order is claimed
(queued, the attempt counted and committed) and sent. Any later attempt first finds out whether the CRM already
has it (`crm.lookup`): a timeout, a 5xx or a killed process may have left it created there.
"""

from __future__ import annotations

from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import structlog

from config.names import customer_words
from crm.alerts import CrmAlerts
from crm.client import CrmError, CrmUnauthorized, Failure, SitniksClient
from crm.lookup import find_sent, nova_poshta_id
from crm.payload import (
    Unmapped,
    Unsendable,
    crm_order_id,
    order_keys,
    order_lines,
    order_note,
    order_payload,
    paid_before_shipping,
    tracking_number,
)
from crm.rules import FINAL, ORDER_EFFECT, CrmRules
from crm.statuses import StatusBook
from crm.texts import CrmTexts
from storage.crm import (
    OutboxOrder,
    claim_order,
    order_created,
    order_failed,
    order_retry,
    orders_to_poll,
    orders_to_send,
    record_crm_status,
)
from storage.products import products_by_sku

log = structlog.get_logger(__name__)


@dataclass
class OrderSync:
    pool: asyncpg.Pool
    client: SitniksClient
    rules: CrmRules
    texts: CrmTexts
    alerts: CrmAlerts
    prepayment: Decimal  # the shop's prepayment in UAH, for the note and the payment
    statuses: StatusBook
    _nova_poshta: list[int | None] = field(default_factory=list, init=False)  # read once, then cached
    _shipped_keys_logged: bool = field(default=False, init=False)

    async def send(self, now: datetime) -> Counter[str]:
        """Each due outbox row, on its own: one row's trouble is recorded on that row and the sweep goes on."""
        counts: Counter[str] = Counter()
        for outbox in await orders_to_send(self.pool, now):
            with structlog.contextvars.bound_contextvars(order_id=outbox.order_id), recipient_words(outbox):
                try:
                    outcome = await self._send(outbox, now)
                except CrmUnauthorized:
                    raise  # the key: nothing else will work either
                except Exception as exc:  # a bug or bad data in this row only
                    log.exception("crm_order_error")
                    await order_retry(self.pool, outbox.id, f"{type(exc).__name__}: {exc}",
                                      now + self.rules.backoff(outbox.attempts + 1))
                    outcome = "error"
            counts[f"orders_{outcome}"] += 1
        return counts

    async def _send(self, outbox: OutboxOrder, now: datetime) -> str:
        try:
            lines = order_lines(outbox.order_data, await products_by_sku(
                self.pool, [str(i.get("sku")) for i in outbox.order_data.get("items") or [] if isinstance(i, dict)]))
        except Unsendable as exc:
            log.error("crm_order_unsendable", reason=str(exc))
            await order_failed(self.pool, outbox.id, str(exc))
            await self.alerts.order_unsendable(outbox.external_id, outbox.order_id or outbox.external_id, str(exc),
                                               now)
            return "failed"
        except Unmapped as exc:
            log.warning("crm_order_held", reason=str(exc))
            await order_retry(self.pool, outbox.id, str(exc), now + self.rules.retry_base)
            await self.alerts.variation_missing(exc.sku, exc.product, exc.size, exc.color,
                                                outbox.order_id or outbox.external_id, now)
            return "held"
        attempt = await claim_order(self.pool, outbox.id, now + self.rules.backoff(outbox.attempts + 1))
        if attempt is None:
            return "claimed_elsewhere"
        with structlog.contextvars.bound_contextvars(attempt=attempt):
            try:
                found = await find_sent(self.client, outbox.external_id, outbox.created_at, now) if attempt > 1 \
                    else None
                crm_id = crm_order_id(found or await self.client.create_order(await self._body(outbox, lines)))
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

    async def _body(self, outbox: OutboxOrder, lines: list[dict[str, Any]]) -> dict[str, Any]:
        if not self._nova_poshta:
            self._nova_poshta.append(await nova_poshta_id(self.client))
        data = outbox.order_data
        return order_payload(data, lines, order_note(self.texts, data, self.prepayment), self._nova_poshta[0],
                             paid_before_shipping(data, self.prepayment))

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
        due = await orders_to_poll(self.pool, now)
        if due:
            await self.statuses.refresh(now)
        for outbox in due:
            with recipient_words(outbox):
                try:
                    counts[await self._poll(outbox, now)] += 1
                except CrmUnauthorized:
                    raise
                except Exception:  # one order's trouble stays with that order
                    log.exception("crm_status_poll_error", order_id=outbox.order_id)
                    counts["statuses_error"] += 1
        return counts

    async def _poll(self, outbox: OutboxOrder, now: datetime) -> str:
        next_poll = now + self.rules.poll_interval
        try:
            order = await self.client.order(str(outbox.crm_order_id))
        except CrmError as exc:
            if exc.failure is Failure.FORBIDDEN:
                await self.alerts.forbidden(exc.reason, now)
            log.warning("crm_status_poll_failed", order_id=outbox.order_id, reason=exc.reason)
            await record_crm_status(self.pool, outbox, outbox.status, {"poll_error": exc.reason}, None, (), next_poll)
            return "statuses_failed"
        wanted, title = self.statuses.ours(order)
        status = self.rules.advance(outbox.status, wanted)
        metadata: dict[str, Any] = {"crm_status": title, "synced_at": now.isoformat(), "poll_error": None}
        if tracking := tracking_number(order):
            metadata["tracking"] = tracking
        if wanted == "shipped" and not self._shipped_keys_logged:
            self._shipped_keys_logged = True  # where the ТТН sits is unknown: the shop reports what this shows
            log.info("crm_shipped_order_keys", **order_keys(order), tracking_found=tracking is not None)
        effect, allowed_from = ORDER_EFFECT[status] if status != outbox.status else (None, ())
        await record_crm_status(self.pool, outbox, status, metadata, effect, allowed_from,
                                None if status in FINAL else next_poll)
        if status == outbox.status:
            return "statuses_unchanged"
        log.info("crm_order_status_changed", order_id=outbox.order_id, status=status)
        return "statuses_changed"


def recipient_words(outbox: OutboxOrder) -> AbstractContextManager[None]:
    """The log lines about this order hide its recipient's name and city wherever they appear (a CRM refusal may
    quote the body it refused), as a customer's turn hides them (`config.names.customer_words`)."""
    customer = outbox.order_data.get("customer")
    if not isinstance(customer, dict):
        return customer_words()
    return customer_words(*(v for v in (customer.get("name"), customer.get("city")) if isinstance(v, str)))
