"""A fake Sitniks CRM open API on 127.0.0.1 that records every request and answers from per-route scripts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

Answer = tuple[int, Any]  # HTTP status and JSON body
Route = Callable[["SitniksRequest"], Answer]


@dataclass(frozen=True)
class SitniksRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    authorization: str | None


class FakeSitniks:
    def __init__(self) -> None:
        self.requests: list[SitniksRequest] = []
        self.routes: dict[tuple[str, str], Route] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    def route(self, method: str, path: str, answer: Route) -> None:
        self.routes[(method.upper(), path)] = answer

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        recorded = SitniksRequest(request.method, "/" + request.match_info["path"], dict(request.query), body,
                                  request.headers.get("Authorization"))
        self.requests.append(recorded)
        answer = self.routes.get((request.method, recorded.path))
        status, payload = answer(recorded) if answer else (404, {"message": "not found"})
        return web.json_response(payload, status=status)
