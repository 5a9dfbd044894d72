"""The Zoom client against the Zoom emulator: token caching, sharing, renewal and one retry on 401."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from actions.zoom import ZoomClient
from bot.errors import IntegrationError, TransientError
from bot.integrations import ZoomSettings
from sandbox import zoom as emu
from sandbox.zoom import ZoomEmulator


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(1.0)) as client:
        yield client


def client(
    zoom: ZoomEmulator, http: httpx.AsyncClient, ticker: Ticker | None = None, secret: str = emu.CLIENT_SECRET
) -> ZoomClient:
    settings = ZoomSettings(emu.ACCOUNT_ID, emu.CLIENT_ID, secret, emu.HOST_EMAIL, zoom.api_url, zoom.oauth_url, 1.0)
    return ZoomClient(settings, http, ticker or Ticker())


async def test_concurrent_calls_share_one_token_request(zoom: ZoomEmulator, http: httpx.AsyncClient) -> None:
    zoom.latency = 0.05
    z = client(zoom, http)
    meetings = await asyncio.gather(*(z.create_meeting(f"INC-{i}: t", "a") for i in range(5)))
    assert len({m["id"] for m in meetings}) == 5
    assert z.token_requests == 1 and len(zoom.in_flight("/oauth/token")) == 1
    assert all("start_url" in m for m in meetings)  # the API gives it; the step never keeps it


async def test_token_is_renewed_before_it_expires(zoom: ZoomEmulator, http: httpx.AsyncClient) -> None:
    ticker = Ticker()
    z = client(zoom, http, ticker)
    await z.check()
    ticker.now += 3599 - 61  # just inside the renewal margin
    await z.check()
    assert z.token_requests == 1
    ticker.now += 2
    await z.check()
    assert z.token_requests == 2


async def test_a_401_drops_the_token_and_retries_once(zoom: ZoomEmulator, http: httpx.AsyncClient) -> None:
    z = client(zoom, http)
    await z.check()
    zoom.revoke_tokens()  # e.g. rotated on Zoom's side
    assert await z.check() == emu.HOST_EMAIL
    assert z.token_requests == 2
    zoom.fail("/v2/users", status=401, times=2)
    with pytest.raises(IntegrationError, match="unauthorized"):
        await z.check()


async def test_refused_credentials_and_transient_errors(zoom: ZoomEmulator, http: httpx.AsyncClient) -> None:
    with pytest.raises(IntegrationError, match="invalid_client") as info:
        await client(zoom, http, secret="wrong").check()
    assert not isinstance(info.value, TransientError)
    z = client(zoom, http)
    zoom.fail("/meetings", status=429, retry_after=7)
    with pytest.raises(TransientError) as transient:
        await z.create_meeting("INC-1: t", "a")
    assert transient.value.retry_after == 7.0
    zoom.hang("/meetings", seconds=3)
    with pytest.raises(TransientError, match="timeout"):
        await z.create_meeting("INC-1: t", "a")
    await zoom.stop()
    with pytest.raises(TransientError, match="ConnectError"):
        await z.create_meeting("INC-1: t", "a")
