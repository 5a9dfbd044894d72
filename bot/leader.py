"""The leader lease loop: lead while the lease is ours, stand by warm otherwise, never two leaders.

The lease row lives in the store and uses the database's clock. The leader renews it every
ttl/5; if it cannot renew for 2/3 of the ttl it steps down (disconnects) before the lease can expire,
so a standby that takes over an expired lease never overlaps with it. On stop, the leader steps down
and releases the lease so the standby takes over at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Lease(Protocol):
    async def acquire(self, holder: str, ttl: float) -> int | None: ...

    async def renew(self, holder: str, epoch: int, ttl: float) -> bool: ...

    async def release(self, holder: str, epoch: int) -> None: ...


class Leadership:
    def __init__(
        self,
        lease: Lease,
        name: str,
        ttl: float,
        on_lead: Callable[[int], Awaitable[None]],
        on_step_down: Callable[[], Awaitable[None]],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lease = lease
        self.name = name
        self.ttl = ttl
        self.on_lead = on_lead
        self.on_step_down = on_step_down
        self.monotonic = monotonic
        self.epoch: int | None = None
        self._renewed = 0.0

    @property
    def leading(self) -> bool:
        return self.epoch is not None

    @property
    def poll(self) -> float:
        return min(0.5, self.ttl / 5)

    async def tick(self) -> None:
        """One round: try to lead, or renew; step down when renewing failed for too long."""
        if self.epoch is None:
            try:
                epoch = await self.lease.acquire(self.name, self.ttl)
            except Exception as exc:  # the store is busy or gone: stay standby, try again
                log.warning("event=lease_error action=acquire error=%r", exc)
                return
            if epoch is not None:
                self.epoch, self._renewed = epoch, self.monotonic()
                log.info("event=leading instance=%s epoch=%d", self.name, epoch)
                try:
                    await self.on_lead(epoch)
                except Exception:
                    log.exception("event=lead_failed instance=%s", self.name)
                    await self.step_down(release=True)
            return
        renewed: bool | None
        try:
            renewed = await self.lease.renew(self.name, self.epoch, self.ttl)
        except Exception as exc:  # could not ask: keep leading while the lease surely has not expired
            log.warning("event=lease_error action=renew error=%r", exc)
            renewed = None
        if renewed:
            self._renewed = self.monotonic()
        elif renewed is False or self.monotonic() - self._renewed > self.ttl * 2 / 3:
            log.warning("event=lease_lost instance=%s epoch=%d", self.name, self.epoch)
            await self.step_down(release=False)

    async def step_down(self, *, release: bool) -> None:
        epoch, self.epoch = self.epoch, None
        if epoch is None:
            return
        try:
            await self.on_step_down()
        finally:
            if release:
                try:
                    await self.lease.release(self.name, epoch)
                except Exception as exc:
                    log.warning("event=lease_error action=release error=%r", exc)
            log.info("event=stepped_down instance=%s epoch=%d released=%s", self.name, epoch, release)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: lead or stand by. On stop, step down and release the lease."""
        try:
            while not stop.is_set():
                await self.tick()
                interval = self.ttl / 5 if self.leading else self.poll
                try:
                    await asyncio.wait_for(stop.wait(), interval)
                except TimeoutError:
                    pass
        finally:
            await self.step_down(release=True)
