"""What every wire fake shares: an aiohttp app on 127.0.0.1 on a free port."""

from __future__ import annotations

from aiohttp import web


class LocalServer:
    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.base = ""

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return self.base

    async def start(self) -> str:
        app = web.Application(client_max_size=30 * 1024 * 1024)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
