"""Finding out whether the CRM already has one of our orders, safely, and the shop's Nova Poshta integration.

Nobody confirms that GET /open-api/orders?externalId= filters (`shared/spec/sitniks-open-api.md`): a CRM that
ignores it answers other orders, or none. So an answer counts only when an order in it carries our externalId;
otherwise the orders created in a window around ours are listed (every page) and matched here. The window is wide
because the CRM is reported to ignore the time zone of createdAtFrom/createdAtTo. A lookup that fails is a reason
to retry later, never to reject the order: a rejection after a timeout could lose an order the CRM has.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog

from crm.client import CrmError, CrmUnauthorized, Failure, SitniksClient

log = structlog.get_logger(__name__)

WINDOW = timedelta(days=1)  # around [the outbox row's creation, now]: covers any time zone the CRM assumes


async def find_sent(client: SitniksClient, external_id: str, since: datetime, now: datetime) -> dict[str, Any] | None:
    """The CRM's order carrying `external_id` (ours was first tried no earlier than `since`), or None when the CRM
    has none. Raises CrmError (RETRY or FORBIDDEN, never REJECTED) when that cannot be known now."""
    try:
        try:
            answered = await client.orders_by_external_id(external_id)
        except CrmError as exc:
            if exc.failure is not Failure.REJECTED:
                raise
            log.info("crm_external_id_filter_refused", reason=exc.reason)
            answered = []
        found = next((o for o in answered if str(o.get("externalId")) == external_id), None)
        if found is not None:
            return found
        async for order in client.orders_created(since - WINDOW, now + WINDOW):
            if str(order.get("externalId")) == external_id:
                log.warning("crm_order_found_by_listing", answered_by_filter=len(answered))
                return order
        return None
    except CrmUnauthorized:
        raise
    except CrmError as exc:
        if exc.failure is Failure.REJECTED:
            raise CrmError(Failure.RETRY, f"the lookup of an order sent before failed: {exc.reason}") from None
        raise


async def nova_poshta_id(client: SitniksClient) -> int | None:
    """The id of the shop's (first) Nova Poshta integration, for an order's npDelivery; None when the shop has none
    or the API refuses the list (the order goes without npDelivery, its note names city and branch)."""
    try:
        integrations = await client.nova_poshta_integrations()
    except CrmUnauthorized:
        raise
    except CrmError as exc:
        if exc.failure is not Failure.REJECTED:
            raise
        log.warning("crm_nova_poshta_unavailable", reason=exc.reason)
        return None
    ids = [i["id"] for i in integrations if isinstance(i.get("id"), int) and not isinstance(i["id"], bool)]
    if not ids:
        log.warning("crm_nova_poshta_unavailable", reason="the CRM lists no Nova Poshta integration")
    return ids[0] if ids else None
