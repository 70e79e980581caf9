"""A fake Sitniks CRM open API on 127.0.0.1, built from the public evidence in `shared/spec/sitniks-open-api.md`
(not from what our client sends): the documented paths and answer shapes, and a refusal (400 with a reason) of an
order body the real API would not take. It keeps chats, managers, products and orders like a shop's account,
records every request, and can fail or hold a route (answer only once released, after doing its work: a timeout
after the CRM created the order).

Evidence it follows: an order line names a VARIATION by integer `productVariationId`; `client.fullname` (lower
case, at least 3 characters); money as JSON numbers; `npDelivery.integrationNovaposhtaId` from
GET /open-api/integrations/nova-poshta/api-keys; lists as `{data, count}` paged by `limit`/`skip`; chats filtered on
their CREATION date; the chat status PATCH answering with an empty body; no manager assignment route. Unknown to
the evidence and chosen here (a shop checks them against its Swagger page): where a variation keeps its size
(`properties` [{name: "Розмір", value}]) and where an order keeps its ТТН (`npDelivery.ttn` by default).
"""

from __future__ import annotations

import asyncio
import json
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer
from tests.fakes.sitniks_contract import NP_INTEGRATION_ID, order_refusal

Answer = tuple[int, Any]  # HTTP status and JSON body (None: an empty body)
Route = Callable[["SitniksRequest"], Answer]

NEW = "Нові заявки"
STATUSES = [{"id": 1, "title": NEW}, {"id": 2, "title": "Оплачено"}, {"id": 3, "title": "Відправлено"},
            {"id": 4, "title": "Отримано"}, {"id": 5, "title": "Скасовано"}]
AI_MANAGER, HUMAN_MANAGER = "AI Олена", "Тетяна Коваль"
PAGE_MAX = 50  # the most a list answers per page

@dataclass(frozen=True)
class SitniksRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    authorization: str | None
    params: dict[str, str] = field(default_factory=dict)  # taken from the route's template


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")


class FakeSitniks(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[SitniksRequest] = []
        self.chats: list[dict[str, Any]] = []
        self.managers = [{"id": 11, "user": {"fullname": AI_MANAGER}}, {"id": 12, "user": {"fullname": HUMAN_MANAGER}}]
        self.statuses = [dict(s) for s in STATUSES]
        self.products: list[dict[str, Any]] = []
        self.orders: dict[str, dict[str, Any]] = {}
        self.bodies: dict[str, dict[str, Any]] = {}  # each created order's body, as the CRM accepted it
        self.refusals: list[str] = []  # the reason of every 400 answered to an order body
        self.api_key = "sitniks-test-key"  # requests with another Bearer key get 401
        self.ignores_external_id_filter = False  # a CRM whose list has no ?externalId= filter
        self.ttn_place: tuple[str, ...] = ("npDelivery", "ttn")  # where set_order_status puts a ТТН (a key path)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._ids = itertools.count(501)
        self._routes: list[tuple[str, str, re.Pattern[str], Route]] = []
        self._failures: dict[tuple[str, str], list[int]] = {}
        self._holds: dict[tuple[str, str], asyncio.Event] = {}
        self._changed = asyncio.Condition()
        for method, template, answer in [
            ("GET", "/open-api/chats", self._chats),
            ("PATCH", "/open-api/chats/{chat_id}/status", self._chat_status),
            ("PUT", "/open-api/chats/{chat_id}", self._chat_tags),
            ("GET", "/open-api/managers", lambda r: (200, {"data": self.managers})),
            ("GET", "/open-api/orders/statuses", lambda r: (200, {"data": self.statuses})),
            ("GET", "/open-api/integrations/nova-poshta/api-keys",
             lambda r: (200, {"data": [{"id": NP_INTEGRATION_ID, "name": "Основний ключ"}]})),
            ("GET", "/open-api/products", lambda r: (200, _page(self.products, r.query))),
            ("POST", "/open-api/orders", self._create_order),
            ("GET", "/open-api/orders", self._list_orders),
            ("GET", "/open-api/orders/{order_id}", self._order),
        ]:
            self._routes.append((method, template, _pattern(template), answer))

    # --- what a test does ----------------------------------------------------------------------------------------

    def route(self, method: str, template: str, answer: Route) -> None:
        """Answer `method template` with `answer` instead of the CRM's own behaviour."""
        self._routes.insert(0, (method.upper(), template, _pattern(template), answer))

    def fail(self, method: str, template: str, status: int, times: int = 1) -> None:
        """The next `times` calls answer `status` without doing anything."""
        self._failures.setdefault((method.upper(), template), []).extend([status] * times)

    def hold(self, method: str, template: str) -> asyncio.Event:
        """Calls do their work but answer only once the returned event is set (a slow or hanging CRM): held on
        POST /open-api/orders, the order is created and the client times out."""
        return self._holds.setdefault((method.upper(), template), asyncio.Event())

    def add_chat(self, chat_id: str, username: str, created_at: datetime | None = None) -> None:
        self.chats.append({"id": chat_id, "userNickName": username, "status": NEW,
                           "createdAt": (created_at or self.now()).isoformat()})

    def chat(self, chat_id: str) -> dict[str, Any]:
        return next(c for c in self.chats if c["id"] == chat_id)

    def add_product(self, product_id: int, title: str, sku: str,
                    variations: list[tuple[int, str, float, int | None]]) -> None:
        """A product with (variation id, size, price in UAH, available quantity) per size."""
        self.products.append({"id": product_id, "title": title, "sku": sku, "variations": [
            {"id": vid, "sku": f"{sku}-{size}", "price": price, "availableQuantity": stock,
             "properties": [{"name": "Розмір", "value": size}]} for vid, size, price, stock in variations]})

    def set_order_status(self, crm_id: str, title: str, ttn: str | None = None) -> None:
        status = next(s for s in self.statuses if s["title"] == title)
        self.orders[crm_id]["status"] = dict(status)
        if ttn:
            *parents, key = self.ttn_place
            holder = self.orders[crm_id]
            for parent in parents:
                holder = holder.setdefault(parent, {})
            holder[key] = ttn

    def rename_status(self, status_id: int, title: str) -> None:
        """The shop renames a status in its CRM: the list and every order with it show the new title."""
        for status in [*self.statuses, *(o["status"] for o in self.orders.values())]:
            if status["id"] == status_id:
                status["title"] = title

    def calls(self, method: str, template: str) -> list[SitniksRequest]:
        pattern = _pattern(template)
        return [r for r in self.requests if r.method == method.upper() and pattern.match(r.path)]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15) -> None:
        """Wait until `condition()` holds; re-checked on every request, never by sleeping."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    async def stop(self) -> None:
        for event in self._holds.values():
            event.set()
        await super().stop()

    # --- the CRM ---------------------------------------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        path = "/" + request.match_info["path"]
        for method, template, pattern, answer in self._routes:
            match = pattern.match(path)
            if method == request.method and match:
                break
        else:
            return await self._record(SitniksRequest(request.method, path, dict(request.query), body,
                                                     request.headers.get("Authorization")),
                                      (404, {"statusCode": 404, "message": f"Cannot {request.method} {path}"}))
        recorded = SitniksRequest(request.method, path, dict(request.query), body,
                                  request.headers.get("Authorization"), match.groupdict())
        failures = self._failures.get((method, template))
        if recorded.authorization != f"Bearer {self.api_key}":
            return await self._record(recorded, (401, {"statusCode": 401, "message": "Unauthorized"}))
        if failures:
            return await self._record(recorded, (failures.pop(0), {"message": "scripted failure"}))
        result = answer(recorded)
        response = await self._record(recorded, result)
        hold = self._holds.get((method, template))
        if hold is not None:
            await hold.wait()
        return response

    async def _record(self, request: SitniksRequest, answer: Answer) -> web.Response:
        self.requests.append(request)
        async with self._changed:
            self._changed.notify_all()
        status, payload = answer
        # The Sitniks API is NestJS on Express, whose JSON (JSON.stringify) carries non-ASCII text as UTF-8, unescaped.
        return web.Response(status=status) if payload is None else web.json_response(payload, status=status,
                                                                                     dumps=_utf8_json)

    def _chats(self, request: SitniksRequest) -> Answer:
        start, end = (request.query.get(k) for k in ("startDate", "endDate"))
        return 200, _page(_between(self.chats, start, end), request.query)

    def _chat_status(self, request: SitniksRequest) -> Answer:
        chat = next((c for c in self.chats if c["id"] == request.params["chat_id"]), None)
        if chat is None:
            return 404, {"statusCode": 404, "message": "chat not found"}
        chat["status"] = request.json["status"]
        return 200, None  # the answer body may be empty

    def _chat_tags(self, request: SitniksRequest) -> Answer:
        chat = next((c for c in self.chats if c["id"] == request.params["chat_id"]), None)
        if chat is None:
            return 404, {"statusCode": 404, "message": "chat not found"}
        if not isinstance(request.json, dict) or set(request.json) != {"tags"}:
            return 400, {"statusCode": 400, "message": "only tags can be changed"}
        chat["tags"] = request.json["tags"]
        return 200, chat

    def _create_order(self, request: SitniksRequest) -> Answer:
        if reason := order_refusal(request.json):
            self.refusals.append(reason)
            return 400, {"statusCode": 400, "message": [reason], "error": "Bad Request"}
        crm_id = str(next(self._ids))
        self.bodies[crm_id] = request.json
        self.orders[crm_id] = {**request.json, "id": int(crm_id), "orderNumber": int(crm_id) + 10000,
                               "status": dict(self.statuses[0]), "createdAt": self.now().isoformat()}
        return 201, self.orders[crm_id]

    def _list_orders(self, request: SitniksRequest) -> Answer:
        orders = list(self.orders.values())
        wanted = request.query.get("externalId")
        if wanted is not None and not self.ignores_external_id_filter:
            orders = [o for o in orders if o.get("externalId") == wanted]
        start, end = (request.query.get(k) for k in ("createdAtFrom", "createdAtTo"))
        orders = _between(orders, start, end)
        return 200, _page(sorted(orders, key=lambda o: _moment(o["createdAt"]), reverse=True), request.query)

    def _order(self, request: SitniksRequest) -> Answer:
        order = self.orders.get(request.params["order_id"])
        return (200, order) if order else (404, {"statusCode": 404, "message": "order not found"})


def _moment(text: str) -> datetime:
    """An ISO date; one without a zone is taken as UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _between(items: list[dict[str, Any]], start: str | None, end: str | None) -> list[dict[str, Any]]:
    """The items CREATED between `start` and `end` (either may be absent)."""
    return [i for i in items if (not start or _moment(i["createdAt"]) >= _moment(start))
            and (not end or _moment(i["createdAt"]) <= _moment(end))]


def _page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """`{data, count}`: at most `limit` (default 10, at most 50) items from `skip`."""
    limit, skip = min(int(query.get("limit", 10)), PAGE_MAX), int(query.get("skip", 0))
    return {"data": items[skip:skip + limit], "count": len(items)}


def _utf8_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
