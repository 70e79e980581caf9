"""GET /health: 200 while polling is alive and Postgres answers, 503 otherwise (Docker's HEALTHCHECK uses it).
GET /metrics: Prometheus' text format."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import structlog
from aiohttp import web

from handlers.admin.metrics import exposition

log = structlog.get_logger(__name__)


class HealthServer:
    def __init__(self, pool: asyncpg.Pool, polling_alive: Callable[[], bool],
                 polling_problem: Callable[[], str | None] = lambda: None,
                 managers_chat: Callable[[], str] = lambda: "ok") -> None:
        """`polling_alive`: is getUpdates working; `polling_problem`: why not, when known (shown in the body).
        `managers_chat`: "ok" or why the managers' group cannot be reached; reported, but the bot still serves
        customers, so it does not turn /health into 503 (a restart would not bring the group back)."""
        self._pool = pool
        self._polling_alive = polling_alive
        self._polling_problem = polling_problem
        self._managers_chat = managers_chat
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def _health(self, _: web.Request) -> web.Response:
        checks: dict[str, bool | str] = {"polling": self._polling_alive(), "postgres": await self._postgres_ok()}
        status = 200 if all(checks.values()) else 503
        problem = self._polling_problem()
        if problem:
            checks["problem"] = problem
        return web.json_response({**checks, "managers_chat": self._managers_chat()}, status=status)

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(text=await exposition(self._pool), content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    async def _postgres_ok(self) -> bool:
        try:
            return await self._pool.fetchval("SELECT 1", timeout=3) == 1
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False

    async def start(self, port: int) -> None:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "0.0.0.0", port)  # noqa: S104 - the container's port is published
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("health_listening", port=self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
