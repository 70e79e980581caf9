"""A fake Sitniks CRM open API on 127.0.0.1: it keeps chats, managers and orders like the shop's account would,
records every request, and can fail or hold a route (answer only once released, after doing its work).

Routes are path templates ("/open-api/orders/{order_id}"); `route()` replaces a route's answer for a test.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

Answer = tuple[int, Any]  # HTTP status and JSON body
Route = Callable[["SitniksRequest"], Answer]

NEW = "Нові заявки"
STATUSES = [{"id": 1, "title": NEW}, {"id": 2, "title": "Оплачено"}, {"id": 3, "title": "Відправлено"},
            {"id": 4, "title": "Отримано"}, {"id": 5, "title": "Скасовано"}]
AI_MANAGER, HUMAN_MANAGER = "AI Олена", "Тетяна Коваль"


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
        self.orders: dict[str, dict[str, Any]] = {}
        self.api_key = "sitniks-test-key"  # requests with another Bearer key get 401
        self._ids = itertools.count(501)
        self._routes: list[tuple[str, str, re.Pattern[str], Route]] = []
        self._failures: dict[tuple[str, str], list[int]] = {}
        self._holds: dict[tuple[str, str], asyncio.Event] = {}
        self._changed = asyncio.Condition()
        for method, template, answer in [
            ("GET", "/open-api/chats", lambda r: (200, {"data": self.chats})),
            ("PATCH", "/open-api/chats/{chat_id}/status", self._chat_status),
            ("PATCH", "/open-api/chats/{chat_id}", self._chat_update),
            ("GET", "/open-api/managers", lambda r: (200, {"data": self.managers})),
            ("GET", "/open-api/orders/statuses", lambda r: (200, {"data": STATUSES})),
            ("POST", "/open-api/orders", self._create_order),
            ("GET", "/open-api/orders", self._find_orders),
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
        """Calls do their work but answer only once the returned event is set (a slow or hanging CRM)."""
        return self._holds.setdefault((method.upper(), template), asyncio.Event())

    def add_chat(self, chat_id: str, username: str) -> None:
        self.chats.append({"id": chat_id, "userNickName": username, "status": NEW, "assignedManagerId": None})

    def chat(self, chat_id: str) -> dict[str, Any]:
        return next(c for c in self.chats if c["id"] == chat_id)

    def set_order_status(self, crm_id: str, title: str, ttn: str | None = None) -> None:
        self.orders[crm_id]["status"] = {"title": title}
        if ttn:
            self.orders[crm_id]["ttn"] = ttn

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
                                                     request.headers.get("Authorization")), (404, {"message": "no"}))
        recorded = SitniksRequest(request.method, path, dict(request.query), body,
                                  request.headers.get("Authorization"), match.groupdict())
        failures = self._failures.get((method, template))
        if recorded.authorization != f"Bearer {self.api_key}":
            return await self._record(recorded, (401, {"message": "Unauthorized"}))
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
        return web.json_response(payload, status=status)

    def _chat_status(self, request: SitniksRequest) -> Answer:
        chat = next((c for c in self.chats if c["id"] == request.params["chat_id"]), None)
        if chat is None:
            return 404, {"message": "chat not found"}
        chat["status"] = request.json["status"]
        return 200, chat

    def _chat_update(self, request: SitniksRequest) -> Answer:
        chat = next((c for c in self.chats if c["id"] == request.params["chat_id"]), None)
        if chat is None:
            return 404, {"message": "chat not found"}
        chat["assignedManagerId"] = request.json["assignedManagerId"]
        return 200, chat

    def _create_order(self, request: SitniksRequest) -> Answer:
        crm_id = str(next(self._ids))
        self.orders[crm_id] = {"id": int(crm_id), "externalId": request.json["externalId"], "status": {"title": NEW},
                               "payload": request.json}
        return 200, self.orders[crm_id]

    def _find_orders(self, request: SitniksRequest) -> Answer:
        wanted = request.query.get("externalId")
        return 200, {"data": [o for o in self.orders.values() if o["externalId"] == wanted]}

    def _order(self, request: SitniksRequest) -> Answer:
        order = self.orders.get(request.params["order_id"])
        return (200, order) if order else (404, {"message": "order not found"})
