"""A Zoom emulator: Server-to-Server OAuth token endpoint and the meetings API."""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from typing import Any

from aiohttp import web

from sandbox.faults import FaultyServer

ACCOUNT_ID = "sandbox-account"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-zoom-secret"
HOST_EMAIL = "host@example.com"


class ZoomEmulator(FaultyServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, token_ttl: int = 3599) -> None:
        super().__init__(host, port)
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}
        self.users = {"UZHOST01": HOST_EMAIL}
        self.meetings: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(81000000001)

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/oauth/token", self.token)
        app.router.add_get("/v2/users/{user}", self.user)
        app.router.add_post("/v2/users/{user}/meetings", self.create_meeting)
        app.router.add_get("/v2/users/{user}/meetings", self.list_meetings)
        app.router.add_get("/v2/meetings/{id}", self.get_meeting)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    async def token(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, status=401
            )
        form = dict(await request.post()) if request.can_read_body else {}
        params = {**request.query, **form}
        if params.get("grant_type") != "account_credentials":
            return web.json_response(
                {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}, status=400
            )
        if params.get("account_id") != ACCOUNT_ID:
            return web.json_response({"reason": "Invalid account_id", "error": "invalid_request"}, status=400)
        token = "zoom-access-" + secrets.token_hex(12)
        self.tokens[token] = time.monotonic() + self.token_ttl
        return web.json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_ttl,
                "scope": "meeting:write:meeting:admin user:read:user:admin",
            }
        )

    def _authorized(self, request: web.Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return self.tokens.get(token, 0) > time.monotonic()

    def _user(self, request: web.Request) -> str | None:
        user = request.match_info["user"]
        if user == "me":
            return "UZHOST01"
        return next((uid for uid, email in self.users.items() if user in (uid, email)), None)

    async def user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        user = self._user(request)
        if user is None:
            return web.json_response({"code": 1001, "message": "User does not exist."}, status=404)
        return web.json_response({"id": user, "email": self.users[user], "type": 2, "status": "active"})

    async def create_meeting(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        user = self._user(request)
        if user is None:
            return web.json_response({"code": 1001, "message": "User does not exist."}, status=404)
        body = await request.json()
        topic = str(body.get("topic") or "")
        if not topic or len(topic) > 200:
            return web.json_response({"code": 300, "message": "Invalid topic"}, status=400)
        meeting_id = next(self._ids)
        password = secrets.token_hex(4)
        meeting = {
            "id": meeting_id,
            "uuid": secrets.token_urlsafe(12),
            "host_id": user,
            "topic": topic,
            "type": int(body.get("type") or 2),
            "agenda": body.get("agenda", ""),
            "join_url": f"https://zoom.example/j/{meeting_id}?pwd={password}",
            "start_url": f"https://zoom.example/s/{meeting_id}?zak=host-secret-{secrets.token_hex(8)}",
            "password": password,
            "settings": body.get("settings") or {},
        }
        self.meetings[meeting_id] = meeting
        return web.json_response(meeting, status=201)

    async def list_meetings(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        user = self._user(request)
        mine = [m for m in self.meetings.values() if m["host_id"] == user]
        return web.json_response(
            {
                "page_size": 300,
                "total_records": len(mine),
                "next_page_token": "",
                "meetings": [{k: m[k] for k in ("id", "topic", "type", "join_url")} for m in mine],
            }
        )

    async def get_meeting(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        meeting = self.meetings.get(int(request.match_info["id"]))
        if meeting is None:
            return web.json_response({"code": 3001, "message": "Meeting does not exist."}, status=404)
        return web.json_response(meeting)
