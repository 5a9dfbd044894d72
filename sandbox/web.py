"""The sandbox's web page: a small Slack-like client of the emulated workspace, plus clock and faults.

Everything a person does here goes through the emulator's real Socket Mode path to the real bot.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from importlib import resources
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.workhours import parse_duration
from sandbox.confluence import ConfluenceEmulator
from sandbox.jira import JiraEmulator
from sandbox.slack import SlackEmulator
from sandbox.zoom import ZoomEmulator


class OffsetClock(Clock):
    """The system clock moved forward by the sandbox's clock control."""

    def __init__(self, base: Clock) -> None:
        self.base = base
        self.offset = timedelta(0)

    def now(self):  # type: ignore[no-untyped-def]
        return self.base.now() + self.offset


class SandboxWeb:
    def __init__(
        self,
        slack: SlackEmulator,
        zoom: ZoomEmulator,
        jira: JiraEmulator,
        confluence: ConfluenceEmulator,
        clock: OffsetClock,
        sweep: Any,
        users: list[str],
    ) -> None:
        self.slack, self.zoom, self.jira, self.confluence = slack, zoom, jira, confluence
        self.clock = clock
        self.sweep = sweep
        self.users = users
        self.faults = {"jira_down": False, "zoom_slow": False, "slack_limits": False}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.index)
        app.router.add_get("/api/state", self.state)
        app.router.add_post("/api/act", self.act)
        app.router.add_post("/api/clock", self.move_clock)
        app.router.add_post("/api/faults", self.set_faults)
        app.router.add_get("/api/events", self.events)

    async def index(self, request: web.Request) -> web.Response:
        page = resources.files("sandbox.static").joinpath("index.html").read_text(encoding="utf-8")
        return web.Response(text=page, content_type="text/html")

    def _message(self, m: Any) -> dict[str, Any]:
        return {
            "ts": m.ts,
            "user": m.user,
            "text": m.text,
            "blocks": m.blocks,
            "bot": m.bot,
            "files": m.files,
            "edited": m.edited,
        }

    async def state(self, request: web.Request) -> web.Response:
        ws = self.slack.ws
        me = request.query.get("user") or self.users[0]
        channel = request.query.get("channel") or ""
        channels = sorted(
            (c for c in ws.channels.values() if not c.is_im and (not c.is_private or me in c.members)),
            key=lambda c: (c.is_archived, c.name),
        )
        messages = []
        if channel in ws.channels:
            chan = ws.channels[channel]
            for m in chan.messages:
                if m.thread_ts and m.thread_ts != m.ts:
                    continue
                item = self._message(m)
                item["replies"] = [self._message(r) for r in chan.messages if r.thread_ts == m.ts and r.ts != m.ts]
                messages.append(item)
        dms = [c for c in ws.channels.values() if c.is_im and me in c.members]
        modal = self.slack.open_view(me)
        errors = ws.views[modal["id"]].errors if modal else {}
        home = ws.views.get(f"VHOME{me}")
        return web.json_response(
            {
                "me": me,
                "users": {u.id: u.name for u in ws.users.values()},
                "people": self.users,
                "channels": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "archived": c.is_archived,
                        "member": me in c.members,
                        "topic": c.topic,
                        "bookmarks": c.bookmarks,
                    }
                    for c in channels
                ],
                "dms": [{"id": c.id, "messages": [self._message(m) for m in c.messages]} for c in dms],
                "messages": messages,
                "ephemerals": [{"channel": e.channel, "text": e.text} for e in ws.ephemerals if e.user == me][-5:],
                "modal": modal,
                "modal_errors": errors,
                "home": home.view if home else None,
                "zoom": [{"topic": m["topic"], "join_url": m["join_url"]} for m in self.zoom.meetings.values()],
                "jira": [
                    {
                        "key": i["key"],
                        "summary": i["fields"].get("summary"),
                        "labels": i["fields"].get("labels"),
                        "status": i["fields"].get("status", {}).get("name"),
                        "comments": [c["body"] for c in self.jira.comments.get(i["key"], [])],
                    }
                    for i in self.jira.issues.values()
                ],
                "confluence": [
                    {
                        "title": p["title"],
                        "body": p["body"],
                        "version": p["version"],
                        "attachments": list(self.confluence.attachments.get(p["id"], {})),
                    }
                    for p in self.confluence.pages.values()
                ],
                "clock": self.clock.now().isoformat(timespec="minutes"),
                "faults": self.faults,
            }
        )

    async def act(self, request: web.Request) -> web.Response:
        body = await request.json()
        me, kind = str(body.get("user") or self.users[0]), body.get("type")
        try:
            if kind == "click":
                await self.slack.click(body["channel"], body["ts"], body["action_id"], me, value=body.get("value"))
            elif kind == "click_view":
                await self.slack.click_view(body["view_id"], body["action_id"], me, value=body.get("value"))
            elif kind == "submit":
                ack = await self.slack.submit_view(body["view_id"], me, body.get("values") or {})
                return web.json_response({"ok": True, "ack": ack})
            elif kind == "close":
                self.slack.ws.views[body["view_id"]].open = False
            elif kind == "message":
                text = str(body.get("text") or "").strip()
                if text.startswith("/incident"):
                    await self.slack.slash("/incident", text.removeprefix("/incident").strip(), me, body["channel"])
                elif text:
                    await self.slack.type_message(body["channel"], me, text, body.get("thread_ts") or None)
            elif kind == "workflow":
                inputs = dict(body.get("inputs") or {})
                inputs["reporter" if body["callback"] == "start_incident" else "resolver"] = me
                await self.slack.run_function(body["callback"], inputs)
            elif kind == "shortcut":
                await self.slack.shortcut(body["callback"], me)
            elif kind == "home":
                await self.slack.send(
                    "events_api",
                    self.slack._event_body({"type": "app_home_opened", "user": me, "tab": "home", "channel": f"D{me}"}),
                )
            elif kind == "join":
                self.slack.ws.channels[body["channel"]].members.add(me)
            else:
                return web.json_response({"ok": False, "error": f"unknown action {kind!r}"}, status=400)
        except (LookupError, ConnectionError, TimeoutError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=409)
        return web.json_response({"ok": True})

    async def move_clock(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            self.clock.offset += parse_duration(str(body.get("advance", "")))
        except ValueError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        await self.sweep()  # what the scheduler would do at the new time
        return web.json_response({"ok": True, "now": self.clock.now().isoformat(timespec="minutes")})

    async def set_faults(self, request: web.Request) -> web.Response:
        from sandbox.slack.limits import RateLimiter

        body = await request.json()
        for name in self.faults:
            if name in body:
                self.faults[name] = bool(body[name])
        self.jira.clear()
        if self.faults["jira_down"]:
            self.jira.fail("", status=503, times=10**6)
        self.zoom.latency = 3.0 if self.faults["zoom_slow"] else 0.0
        self.slack.limiter = RateLimiter() if self.faults["slack_limits"] else None
        return web.json_response({"ok": True, "faults": self.faults})

    def _signature(self) -> str:
        ws = self.slack.ws
        return json.dumps(
            [
                len(self.slack.calls),
                len(ws.ephemerals),
                len(ws.views),
                sum(v.open for v in ws.views.values()),
                len(self.jira.requests),
                len(self.confluence.requests),
                str(self.clock.offset),
                self.faults,
            ]
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: `change` whenever the workspace or an integration changed."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        last = ""
        try:
            while True:
                now = self._signature()
                if now != last:
                    last = now
                    await response.write(b"event: change\ndata: {}\n\n")
                await asyncio.sleep(0.15)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
