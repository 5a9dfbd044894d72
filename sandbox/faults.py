"""Fault injection shared by the HTTP emulators: errors, 429 with Retry-After, delays, hangs, bad credentials."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Fault:
    path: str
    """Substring of the request path to match ('' matches every request)."""
    times: int = 1
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    """Seconds to wait before answering (a hang when longer than the client's timeout)."""
    body: dict[str, Any] | None = None


@dataclass
class Request:
    method: str
    path: str
    started: float
    ended: float = 0.0
    status: int = 0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FaultyServer:
    """Base of the Zoom and Jira emulators: an aiohttp app with a request log and faults."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.latency = 0.0
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def fail(
        self,
        path: str = "",
        *,
        times: int = 1,
        status: int = 500,
        retry_after: int | None = None,
        delay: float = 0.0,
        body: dict[str, Any] | None = None,
    ) -> None:
        self.faults.append(Fault(path, times, status, retry_after, delay, body))

    def hang(self, path: str = "", seconds: float = 30.0, times: int = 1) -> None:
        self.fail(path, times=times, status=504, delay=seconds)

    def clear(self) -> None:
        self.faults.clear()

    def in_flight(self, path: str) -> list[Request]:
        return [r for r in self.requests if path in r.path]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = Request(request.method, request.path_qs, time.monotonic(), headers=dict(request.headers))
        if request.can_read_body and request.content_type == "application/json":  # multipart stays unread
            try:
                entry.body = await request.json()
            except ValueError:
                entry.body = await request.text()
        self.requests.append(entry)
        try:
            if self.latency:
                await self._sleep(self.latency)
            for fault in self.faults:
                if fault.times > 0 and fault.path in request.path:
                    fault.times -= 1
                    if fault.delay:
                        await self._sleep(fault.delay)
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                    body = fault.body or {"message": f"emulated fault {fault.status}"}
                    response: web.StreamResponse = web.json_response(body, status=fault.status, headers=headers)
                    break
            else:
                response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        entry.ended, entry.status = time.monotonic(), response.status
        return response

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def start(self) -> FaultyServer:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr,attr-defined]
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening: from now on, connections are refused (until `start` again, same port)."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
