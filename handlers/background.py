"""Listeners that ack at once: the work after `ack()` goes on in the background.

Bolt with process_before_response=False acknowledges by polling every 10 ms for the ack (a floor of
10 ms per envelope, and thousands of wake-ups under a burst). With process_before_response=True it
returns as soon as the listener returns; these wrappers return as soon as the listener has called
ack() (events are acknowledged by Bolt when the wrapper returns), and keep the rest as a task.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)
IN_FLIGHT: set[asyncio.Task[Any]] = set()
ACK_FIRST = 0.02  # seconds the work after ack() yields to other envelopes' acknowledgements
WRAPPED = ("shortcut", "command", "view", "action", "event", "function", "message", "options")


def _done(task: asyncio.Task[Any]) -> None:
    IN_FLIGHT.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("event=listener_failed error=%r", task.exception(), exc_info=task.exception())


def background(fn: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Awaitable[None]]:
    @functools.wraps(fn)  # Bolt reads the wrapped function's parameter names
    async def listener(**kwargs: Any) -> None:
        acked = asyncio.Event()
        if "ack" in kwargs:
            real = kwargs["ack"]

            async def ack(*args: Any, **kw: Any) -> Any:
                try:
                    return await real(*args, **kw)
                finally:
                    acked.set()
                    # Let the acknowledgements of a burst go out before the work behind them.
                    await asyncio.sleep(ACK_FIRST)

            kwargs["ack"] = ack
        task: asyncio.Task[Any] = asyncio.create_task(fn(**kwargs))
        IN_FLIGHT.add(task)
        task.add_done_callback(_done)
        if "ack" not in kwargs:
            return  # an event: Bolt acknowledges it now
        waiter = asyncio.create_task(acked.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done() and not acked.is_set():
            task.result()  # failed before acknowledging: Bolt's error handler answers

    return listener


class Registrar:
    """The app, whose listener decorators wrap listeners with `background`."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._app, name)
        if name not in WRAPPED:
            return attr

        def register(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Coroutine[Any, Any, Any]]], Any]:
            decorator = attr(*args, **kwargs)
            return lambda fn: decorator(background(fn))

        return register


async def drain(timeout: float) -> None:
    """Wait for the listeners in flight (on shutdown, after the connection is closed)."""
    if IN_FLIGHT:
        await asyncio.wait(set(IN_FLIGHT), timeout=timeout)
