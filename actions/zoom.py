"""Zoom: Server-to-Server OAuth and meetings; the `create_zoom_meeting` step."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from actions.base import NotConfigured, StepContext
from actions.http import check, send
from bot.errors import IntegrationError
from bot.integrations import ZoomSettings

log = logging.getLogger(__name__)
RENEW_BEFORE = 60.0  # seconds before expiry when a cached token is renewed
MEETING_RECURRING_NO_FIXED_TIME = 3  # the link stays valid for the whole incident, however long


class ZoomClient:
    """A thin client over an injected httpx.AsyncClient. The token is shared by concurrent callers."""

    def __init__(
        self, settings: ZoomSettings, http: httpx.AsyncClient, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.http = http
        self._monotonic = monotonic
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self.token_requests = 0

    async def token(self, *, renew: bool = False, stale: str | None = None) -> str:
        """A valid access token; one request at a time, whoever asks. `stale`: the token Zoom refused."""
        async with self._lock:
            fresh = self._token is not None and self._monotonic() < self._expires - RENEW_BEFORE
            if fresh and not renew:
                return self._token  # type: ignore[return-value]
            if renew and stale is not None and self._token not in (None, stale):
                return self._token  # type: ignore[return-value]  # someone renewed it meanwhile
            self.token_requests += 1
            response = await send(
                "zoom",
                self.http,
                "POST",
                self.settings.oauth_url,
                "oauth token",
                params={"grant_type": "account_credentials", "account_id": self.settings.account_id},
                auth=(self.settings.client_id, self.settings.client_secret),
            )
            if response.status_code in (400, 401):
                raise IntegrationError("zoom", "invalid_client", "Zoom refused the account ID or client credentials")
            data = check("zoom", response, "oauth token")
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise IntegrationError("zoom", "bad_token", "no access_token in Zoom's answer")
            self._token = token
            self._expires = self._monotonic() + float(data.get("expires_in") or 3600)
            return token

    async def request(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        """Call the API; a 401 drops the token and tries once more with a new one."""
        url = f"{self.settings.api_url}{path}"
        token = await self.token()
        response = await send(
            "zoom", self.http, method, url, what, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        if response.status_code == 401:
            token = await self.token(renew=True, stale=token)
            response = await send(
                "zoom", self.http, method, url, what, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
            if response.status_code == 401:
                raise IntegrationError("zoom", "unauthorized", f"{what}: Zoom refused a fresh token")
        return check("zoom", response, what)

    def _host(self) -> str:
        return quote(self.settings.host, safe="@")

    async def create_meeting(self, topic: str, agenda: str) -> dict[str, Any]:
        return await self.request(
            "POST",
            f"/users/{self._host()}/meetings",
            "create meeting",
            json={
                "topic": topic[:200],
                "agenda": agenda[:2000],
                "type": MEETING_RECURRING_NO_FIXED_TIME,
                "settings": {"join_before_host": True, "waiting_room": False, "jbh_time": 0},
            },
        )

    async def find_meeting(self, topic_prefix: str) -> dict[str, Any] | None:
        data = await self.request(
            "GET", f"/users/{self._host()}/meetings", "list meetings", params={"type": "scheduled", "page_size": 300}
        )
        return next((m for m in data.get("meetings", []) if str(m.get("topic", "")).startswith(topic_prefix)), None)

    async def check(self) -> str:
        """Credentials accepted and host found: returns the host's email. Raises IntegrationError."""
        data = await self.request("GET", f"/users/{self._host()}", "host user")
        return str(data.get("email") or data.get("id"))


def _result(meeting: dict[str, Any]) -> dict[str, Any]:
    # Only the join URL: the start URL carries the host's credentials and must never be shown.
    return {"meeting_id": meeting["id"], "url": meeting["join_url"], "label": "Zoom", "link_text": "Join the meeting"}


async def create_zoom_meeting(ctx: StepContext) -> dict[str, Any]:
    zoom = ctx.integrations.zoom
    if zoom is None:
        raise NotConfigured(ctx.integrations.zoom_problem)
    if ctx.record.result.get("url"):
        return ctx.record.result
    incident = ctx.incident
    prefix = f"{incident.key}:"
    if ctx.record.result.get("creating") or ctx.record.attempts > 1:
        found = await zoom.find_meeting(prefix)
        if found is not None:
            return _result(found)
    await ctx.save(creating=True)
    meeting = await zoom.create_meeting(
        f"{prefix} {incident.title}", f"Incident {incident.key} ({incident.level}): {incident.title}"
    )
    return _result(meeting)
