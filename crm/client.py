"""The Sitniks open API: the endpoints the bot uses and what each kind of failure means, in one place.

Paths and shapes follow the public evidence in `shared/spec/sitniks-open-api.md` (public clients of the real API);
a shop whose account differs adjusts `PATHS`. Lists answer `{data: [...], count}` and are paged with `limit`/`skip`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import aiohttp

PATHS = {
    "chats": "/open-api/chats",
    "chat_status": "/open-api/chats/{chat_id}/status",
    "chat": "/open-api/chats/{chat_id}",
    "managers": "/open-api/managers",
    "order_statuses": "/open-api/orders/statuses",
    "orders": "/open-api/orders",
    "order": "/open-api/orders/{order_id}",
    "nova_poshta_keys": "/open-api/integrations/nova-poshta/api-keys",
    "products": "/open-api/products",
}
PAGE = 50  # items per page of a list: the most a public client asks for
MAX_PAGES = 200  # a list that never ends (a CRM ignoring `skip`) stops here


class Failure(StrEnum):
    RETRY = "retry"  # 429, 5xx, a timeout, no connection: try again after a backoff
    UNAUTHORIZED = "unauthorized"  # 401: the key is wrong; nothing works until it is changed
    FORBIDDEN = "forbidden"  # 403: the shop's plan does not include this
    REJECTED = "rejected"  # 404, 422 and other 4xx: this request will never succeed as it is


class CrmError(Exception):
    def __init__(self, failure: Failure, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason
        self.status = status


class CrmUnauthorized(CrmError):
    """The key was refused: the whole sweep stops, not just one request."""


def key_fingerprint(api_key: str) -> str:
    """Names the key in alerts and in the stop after a 401 without revealing it."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


def _failure(status: int) -> Failure:
    if status == 401:
        return Failure.UNAUTHORIZED
    if status == 403:
        return Failure.FORBIDDEN
    if status == 429 or status >= 500:
        return Failure.RETRY
    return Failure.REJECTED


class SitniksClient:
    """Bearer-key JSON calls; every failure arrives as a CrmError saying what kind it is."""

    def __init__(self, base_url: str, api_key: str, timeout: timedelta) -> None:
        self.fingerprint = key_fingerprint(api_key)
        self._base = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=timeout.total_seconds()),
        )

    async def close(self) -> None:
        await self._session.close()

    async def _call(self, method: str, path: str, *, json: Any = None, query: dict[str, Any] | None = None) -> Any:
        try:
            async with self._session.request(method, self._base + path, json=json, params=query) as response:
                if response.status >= 400:
                    text = (await response.text())[:300]
                    failure, reason = _failure(response.status), f"HTTP {response.status} {method} {path}: {text}"
                    error = CrmUnauthorized if failure is Failure.UNAUTHORIZED else CrmError
                    raise error(failure, reason, response.status)
                return await response.json(content_type=None) if response.status != 204 else None
        except TimeoutError:
            raise CrmError(Failure.RETRY, f"timeout {method} {path}") from None
        except aiohttp.ClientError as exc:
            raise CrmError(Failure.RETRY, f"{type(exc).__name__} {method} {path}: {exc}") from None
        except ValueError as exc:  # a 2xx that is not JSON: a proxy's error page, say
            raise CrmError(Failure.RETRY, f"not JSON from {method} {path}: {exc}") from None

    async def pages(self, path: str, query: dict[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every item of a list, page by page (`limit` PAGE, `skip`), until a short or empty page or `count`."""
        skip = 0
        for _ in range(MAX_PAGES):
            body = await self._call("GET", path, query={**(query or {}), "limit": PAGE, "skip": skip})
            items = _data(body)
            for item in items:
                yield item
            skip += len(items)
            count = body.get("count") if isinstance(body, dict) else None
            if len(items) < PAGE or (isinstance(count, int) and skip >= count):
                return

    # --- chats ---

    def chats(self, start: datetime, end: datetime) -> AsyncIterator[dict[str, Any]]:
        """Chats CREATED between `start` and `end` (that is what the dates filter), every page."""
        return self.pages(PATHS["chats"], {"startDate": start.isoformat(), "endDate": end.isoformat()})

    async def set_chat_status(self, chat_id: str, title: str) -> None:
        await self._call("PATCH", PATHS["chat_status"].format(chat_id=chat_id), json={"status": title})

    async def managers(self) -> list[dict[str, Any]]:
        return _data(await self._call("GET", PATHS["managers"]))

    async def assign_manager(self, chat_id: str, manager_id: int) -> None:
        """Not offered by the public API as far as anyone knows (Mirt-AI marks this call "assumed"): opt-in only."""
        await self._call("PATCH", PATHS["chat"].format(chat_id=chat_id), json={"assignedManagerId": manager_id})

    # --- orders ---

    async def order_statuses(self) -> list[dict[str, Any]]:
        return _data(await self._call("GET", PATHS["order_statuses"]))

    async def create_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        return _one(await self._call("POST", PATHS["orders"], json=payload))

    async def orders_by_external_id(self, external_id: str) -> list[dict[str, Any]]:
        """GET /open-api/orders?externalId=…: one page of what the CRM answers. Unconfirmed filter: a CRM that
        ignores it answers other orders, so the caller checks each one's externalId."""
        return _data(await self._call("GET", PATHS["orders"], query={"externalId": external_id, "limit": PAGE}))

    def orders_created(self, start: datetime, end: datetime) -> AsyncIterator[dict[str, Any]]:
        """Orders created between `start` and `end` (createdAtFrom/createdAtTo, reported to ignore the time zone:
        callers widen the window), every page."""
        return self.pages(PATHS["orders"], {"createdAtFrom": start.isoformat(), "createdAtTo": end.isoformat()})

    async def nova_poshta_integrations(self) -> list[dict[str, Any]]:
        """The shop's Nova Poshta integrations; an order's npDelivery names one by `id`."""
        return _data(await self._call("GET", PATHS["nova_poshta_keys"]))

    def products(self) -> AsyncIterator[dict[str, Any]]:
        """The shop's products with their `variations`, every page."""
        return self.pages(PATHS["products"])

    async def order(self, crm_order_id: str) -> dict[str, Any]:
        return _one(await self._call("GET", PATHS["order"].format(order_id=crm_order_id)))


def _data(body: Any) -> list[dict[str, Any]]:
    """Lists come as {"data": [...]} (or, from some endpoints, as the bare list)."""
    items = body.get("data", []) if isinstance(body, dict) else body
    return [item for item in items or [] if isinstance(item, dict)]


def _one(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        return dict(body["data"])
    if not isinstance(body, dict):
        raise CrmError(Failure.RETRY, f"unexpected answer from the CRM: {str(body)[:200]}")
    return body
