"""A fake Sitniks CRM open API on 127.0.0.1 that records every request and answers from per-route scripts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

Answer = tuple[int, Any]  # HTTP status and JSON body
Route = Callable[["SitniksRequest"], Answer]


@dataclass(frozen=True)
class SitniksRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    authorization: str | None


class FakeSitniks(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[SitniksRequest] = []
        self.answers: dict[tuple[str, str], Route] = {}

    def route(self, method: str, path: str, answer: Route) -> None:
        self.answers[(method.upper(), path)] = answer

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{path:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        recorded = SitniksRequest(request.method, "/" + request.match_info["path"], dict(request.query), body,
                                  request.headers.get("Authorization"))
        self.requests.append(recorded)
        answer = self.answers.get((request.method, recorded.path))
        status, payload = answer(recorded) if answer else (404, {"message": "not found"})
        return web.json_response(payload, status=status)
