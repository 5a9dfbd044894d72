"""A Confluence emulator: pages in storage format (checked to be well-formed XHTML) and attachments."""

from __future__ import annotations

import base64
import itertools
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.faults import FaultyServer

EMAIL = "bot@example.com"
API_TOKEN = "sandbox-confluence-token"
SPACE = "INC"
NAMESPACES = 'xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier"'


def well_formed(storage: str) -> str | None:
    """None when the storage-format body parses as XHTML (with Confluence's ac:/ri: prefixes)."""
    try:
        ET.fromstring(f"<root {NAMESPACES}>{storage}</root>")
    except ET.ParseError as exc:
        return str(exc)
    return None


class ConfluenceEmulator(FaultyServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.spaces = {SPACE: {"id": 98001, "key": SPACE, "name": "Incidents"}}
        self.pages: dict[str, dict[str, Any]] = {}
        self.attachments: dict[str, dict[str, dict[str, Any]]] = {}
        self._ids = itertools.count(100001)

    @property
    def wiki(self) -> str:
        return f"{self.url}/wiki"

    def routes(self, app: web.Application) -> None:
        base = "/wiki/rest/api"
        app.router.add_get(f"{base}/space/{{key}}", self.space)
        app.router.add_get(f"{base}/content", self.find)
        app.router.add_post(f"{base}/content", self.create)
        app.router.add_get(f"{base}/content/{{id}}", self.get)
        app.router.add_put(f"{base}/content/{{id}}", self.update)
        app.router.add_route("*", f"{base}/content/{{id}}/child/attachment", self.attach)
        app.router.add_get(f"{base}/user/current", self.current)

    def _auth(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _denied(self) -> web.Response:
        return web.json_response({"statusCode": 401, "message": "Unauthorized; scope does not match"}, status=401)

    def _page_json(self, page: dict[str, Any]) -> dict[str, Any]:
        webui = f"/spaces/{page['space']}/pages/{page['id']}/{quote(page['title'].replace(' ', '+'))}"
        return {
            "id": page["id"],
            "type": "page",
            "status": "current",
            "title": page["title"],
            "space": {"key": page["space"]},
            "version": {"number": page["version"]},
            "body": {"storage": {"value": page["body"], "representation": "storage"}},
            "ancestors": [{"id": a} for a in page["ancestors"]],
            "_links": {"webui": webui, "base": self.wiki},
        }

    async def current(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return self._denied()
        return web.json_response({"type": "known", "email": EMAIL, "displayName": "Incident Bot"})

    async def space(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return self._denied()
        space = self.spaces.get(request.match_info["key"])
        if space is None:
            return web.json_response({"statusCode": 404, "message": "No space with key"}, status=404)
        return web.json_response(space)

    async def find(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return self._denied()
        title, space = request.query.get("title"), request.query.get("spaceKey")
        found = [p for p in self.pages.values() if p["title"] == title and (not space or p["space"] == space)]
        return web.json_response({"results": [self._page_json(p) for p in found], "size": len(found)})

    def _validate(self, body: dict[str, Any]) -> tuple[str, str] | web.Response:
        title = body.get("title")
        storage = (body.get("body") or {}).get("storage") or {}
        if not isinstance(title, str) or not title.strip() or len(title) > 255:
            return web.json_response({"statusCode": 400, "message": "Title is invalid"}, status=400)
        if storage.get("representation") != "storage" or not isinstance(storage.get("value"), str):
            return web.json_response({"statusCode": 400, "message": "Body must be storage format"}, status=400)
        problem = well_formed(storage["value"])
        if problem:
            return web.json_response({"statusCode": 400, "message": f"Error parsing xhtml: {problem}"}, status=400)
        return title, storage["value"]

    async def create(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return self._denied()
        body = await request.json()
        checked = self._validate(body)
        if isinstance(checked, web.Response):
            return checked
        title, storage = checked
        space = (body.get("space") or {}).get("key")
        if space not in self.spaces:
            return web.json_response({"statusCode": 404, "message": "Space not found"}, status=404)
        if any(p["title"] == title and p["space"] == space for p in self.pages.values()):
            return web.json_response(
                {"statusCode": 400, "message": "A page with this title already exists"}, status=400
            )
        ancestors = [str(a.get("id")) for a in body.get("ancestors") or []]
        page = {
            "id": str(next(self._ids)),
            "title": title,
            "space": space,
            "body": storage,
            "version": 1,
            "ancestors": ancestors,
        }
        self.pages[page["id"]] = page
        return web.json_response(self._page_json(page))

    async def get(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return self._denied()
        page = self.pages.get(request.match_info["id"])
        if page is None:
            return web.json_response({"statusCode": 404, "message": "No content found"}, status=404)
        return web.json_response(self._page_json(page))

    async def update(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return self._denied()
        page = self.pages.get(request.match_info["id"])
        if page is None:
            return web.json_response({"statusCode": 404, "message": "No content found"}, status=404)
        body = await request.json()
        checked = self._validate(body)
        if isinstance(checked, web.Response):
            return checked
        version = int((body.get("version") or {}).get("number") or 0)
        if version != page["version"] + 1:
            return web.json_response(
                {
                    "statusCode": 409,
                    "message": f"Version must be incremented on update. Current version is: {page['version']}",
                },
                status=409,
            )
        page.update(title=checked[0], body=checked[1], version=version)
        return web.json_response(self._page_json(page))

    async def attach(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return self._denied()
        page = self.pages.get(request.match_info["id"])
        if page is None:
            return web.json_response({"statusCode": 404, "message": "No content found"}, status=404)
        if request.method not in ("POST", "PUT"):
            return web.json_response({"results": list(self.attachments.get(page["id"], {}).values())})
        if request.headers.get("X-Atlassian-Token") != "no-check":
            return web.json_response({"statusCode": 403, "message": "XSRF check failed"}, status=403)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return web.json_response({"statusCode": 400, "message": "No file"}, status=400)
        name = upload.filename
        existing = self.attachments.setdefault(page["id"], {})
        if name in existing and request.method == "POST":
            return web.json_response(
                {
                    "statusCode": 400,
                    "message": "Cannot add a new attachment with same file name as an existing attachment",
                },
                status=400,
            )
        attachment = {
            "id": f"att{next(self._ids)}",
            "title": name,
            "content": upload.file.read(),
            "mediaType": upload.content_type,
            "version": existing.get(name, {}).get("version", 0) + 1,
        }
        existing[name] = attachment
        return web.json_response({"results": [{k: v for k, v in attachment.items() if k != "content"}]})
