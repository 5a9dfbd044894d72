"""/healthz, /readyz and /metrics over aiohttp, on HEALTH_PORT (0: no server)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.telemetry import Telemetry

log = logging.getLogger(__name__)
Readiness = Callable[[], Awaitable[tuple[bool, str]]]


class HealthServer:
    def __init__(
        self,
        port: int,
        ready: Readiness,
        telemetry: Telemetry,
        refresh: Callable[[], Awaitable[None]],
        host: str = "0.0.0.0",
    ) -> None:
        self.port, self.host = port, host
        self.ready = ready
        self.telemetry = telemetry
        self.refresh = refresh
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        if not self.port:
            return
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as exc:  # a busy port costs the health endpoints, never the bot
            log.error("event=health_server_failed port=%d error=%r", self.port, str(exc))

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        ok, text = await self.ready()
        return web.Response(status=200 if ok else 503, text=text + "\n")

    async def metrics(self, request: web.Request) -> web.Response:
        await self.refresh()
        return web.Response(body=self.telemetry.render(), headers={"Content-Type": "text/plain; version=0.0.4"})
