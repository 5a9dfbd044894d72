"""Confluence Cloud REST (v1 content API) over httpx: find, create and update pages, attach files."""

from __future__ import annotations

from typing import Any

import httpx

from actions.http import check, send
from bot.integrations import ConfluenceSettings


class ConfluenceClient:
    def __init__(self, settings: ConfluenceSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.api = f"{settings.url}/rest/api"
        self._auth = (settings.email, settings.api_token)

    async def _call(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        response = await send("confluence", self.http, method, f"{self.api}{path}", what, auth=self._auth, **kwargs)
        return check("confluence", response, what)

    def page_url(self, page: dict[str, Any]) -> str:
        links = page.get("_links") or {}
        return f"{links.get('base') or self.settings.url}{links.get('webui', '')}"

    async def find_page(self, title: str) -> dict[str, Any] | None:
        data = await self._call(
            "GET",
            "/content",
            "find page",
            params={"spaceKey": self.settings.space, "title": title, "expand": "version"},
        )
        results = data.get("results") or []
        return dict(results[0]) if results else None

    async def create_page(self, title: str, body: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "page",
            "title": title,
            "space": {"key": self.settings.space},
            "body": {"storage": {"value": body, "representation": "storage"}},
        }
        if self.settings.parent_id:
            payload["ancestors"] = [{"id": self.settings.parent_id}]
        return await self._call("POST", "/content", "create page", json=payload)

    async def update_page(self, page_id: str, title: str, body: str, version: int) -> dict[str, Any]:
        payload = {
            "id": page_id,
            "type": "page",
            "title": title,
            "version": {"number": version + 1},
            "body": {"storage": {"value": body, "representation": "storage"}},
        }
        return await self._call("PUT", f"/content/{page_id}", "update page", json=payload)

    async def get_page(self, page_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/content/{page_id}", "get page", params={"expand": "version"})

    async def attach(self, page_id: str, filename: str, content: bytes, media_type: str) -> None:
        """Create or replace the page's attachment of that name (PUT is Confluence's create-or-update)."""
        await self._call(
            "PUT",
            f"/content/{page_id}/child/attachment",
            "attach file",
            headers={"X-Atlassian-Token": "no-check"},
            files={"file": (filename, content, media_type)},
            data={"minorEdit": "true"},
        )

    async def check(self) -> str:
        me = await self._call("GET", "/user/current", "current user")
        await self._call("GET", f"/space/{self.settings.space}", "space")
        return str(me.get("email") or me.get("displayName"))
