"""The Slack emulator's servers (Web API over HTTP, Socket Mode over a websocket) and people's actions.

Tests and the sandbox act as people would: run a workflow step, use a shortcut and submit the modal
it opened, click a button, type a message; then look at what someone in a channel would see.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.slack.blockkit import seen
from sandbox.slack.limits import RateLimiter
from sandbox.slack.webapi import ApiError, WebApi, _json
from sandbox.slack.workspace import Execution, Message, Workspace

BOT_TOKEN = "xoxb-sandbox-bot-token"
APP_TOKEN = "xapp-sandbox-app-token"
JSON_FIELDS = ("blocks", "view", "outputs", "metadata", "attachments")


@dataclass
class Fault:
    method: str
    times: int = 1
    status: int = 429
    retry_after: int | None = 1
    error: str | None = None
    delay: float = 0.0
    after: int = 0
    """Let this many matching calls through first."""


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None = None
    at: float = field(default_factory=time.monotonic)
    """When the answer was sent."""
    started: float = 0.0
    """When the request arrived."""


class SlackEmulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.ws = Workspace()
        self.api = WebApi(self.ws, self._bot_event)
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.latency = 0.0
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._envelopes = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.connections_opened = 0
        self.sent: dict[str, tuple[str, dict[str, Any]]] = {}
        self.limiter: RateLimiter | None = None
        """Set (e.g. `RateLimiter()`) to enforce Slack's rate-limit tiers with 429 + Retry-After."""
        self._stopping = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    async def start(self) -> SlackEmulator:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/link/", self._handle_socket)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr,attr-defined]
        self.port = sockets[0].getsockname()[1]
        self.api.base_url = self.url
        return self

    async def stop(self) -> None:
        self._stopping.set()
        for sock in list(self._sockets):
            await sock.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> SlackEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- Web API --------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int | None = 1,
        error: str | None = None,
        delay: float = 0.0,
        after: int = 0,
    ) -> None:
        """Make `times` calls of `method` fail (HTTP status, or ok:false `error`), after `after` good ones."""
        self.faults.append(Fault(method, times, status, retry_after, error, delay, after))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            else:
                args.update(dict(await request.post()))
        for name in JSON_FIELDS:
            if isinstance(args.get(name), str) and args[name][:1] in "[{":
                try:
                    args[name] = json.loads(args[name])
                except json.JSONDecodeError:
                    pass
        return args

    def _token(self, request: web.Request, args: dict[str, Any]) -> str:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ").strip() if header else str(args.pop("token", ""))

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        started = time.monotonic()
        args = await self._args(request)
        token = self._token(request, args)
        args.pop("token", None)
        if self.latency:
            await asyncio.sleep(self.latency)
        for fault in self.faults:
            if fault.method in (method, "*") and fault.times > 0:
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                if fault.delay:  # a hung call, cut short when the emulator stops
                    try:
                        await asyncio.wait_for(self._stopping.wait(), fault.delay)
                    except TimeoutError:
                        pass
                self.calls.append(Call(method, args, False, fault.error or f"http_{fault.status}"))
                if fault.error:
                    return web.json_response({"ok": False, "error": fault.error})
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                body = {"ok": False, "error": "ratelimited"} if fault.status == 429 else None
                if body is None:
                    return web.Response(status=fault.status, text="upstream error", headers=headers)
                return web.json_response(body, status=fault.status, headers=headers)
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return self._fail(method, args, "invalid_auth")
            self.connections_opened += 1
            self.calls.append(Call(method, {}, True))
            return web.json_response(
                {"ok": True, "url": f"ws://{self.host}:{self.port}/link/?ticket={random.random()}"}
            )
        if token != BOT_TOKEN:
            return self._fail(method, args, "invalid_auth" if token else "not_authed")
        if self.limiter is not None:
            wait = self.limiter.retry_after(method, str(args.get("channel") or ""))
            if wait is not None:
                self.calls.append(Call(method, args, False, "ratelimited", started=started))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(wait)}
                )
        handler = self.api.methods.get(method)
        if handler is None:
            return self._fail(method, args, "unknown_method")
        try:
            result = handler(args)
        except ApiError as exc:
            return self._fail(method, args, exc.code, **exc.extra)
        self.calls.append(Call(method, args, True, started=started))
        return web.json_response({"ok": True, **result})

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL of files.getUploadURLExternal: takes the bytes, as a raw body or a form."""
        stored = self.ws.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="unknown upload")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()))
            content = part.file.read() if hasattr(part, "file") else str(part).encode()
        else:
            content = await request.read()
        stored["content"] = content
        return web.Response(text=f"OK - {len(content)}")

    def _fail(self, method: str, args: dict[str, Any], code: str, **extra: Any) -> web.Response:
        self.calls.append(Call(method, args, False, code))
        return web.json_response({"ok": False, "error": code, **extra})

    # --- Socket Mode ----------------------------------------------------------------------------

    @property
    def connected(self) -> int:
        return len([s for s in self._sockets if not s.closed])

    async def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.connected < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.connected} Socket Mode connection(s), expected {count}")
            await asyncio.sleep(0.02)

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse(autoping=True)
        await sock.prepare(request)
        self._sockets.append(sock)
        await sock.send_json(
            {
                "type": "hello",
                "num_connections": self.connected,
                "connection_info": {"app_id": "A0APP"},
                "debug_info": {"host": "sandbox"},
            }
        )
        try:
            async for msg in sock:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except json.JSONDecodeError:
                    continue
                future = self._acks.get(str(data.get("envelope_id")))
                if future is not None and not future.done():
                    future.set_result(data.get("payload") or {})
        finally:
            self._sockets.remove(sock)
        return sock

    async def refresh_connections(self) -> None:
        """Ask every client to reconnect, as Slack does a few times an hour."""
        for sock in list(self._sockets):
            await sock.send_json({"type": "disconnect", "reason": "refresh_requested"})

    async def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Deliver an envelope to one open connection (as Slack: a random one) and wait for its ack."""
        live = [s for s in self._sockets if not s.closed]
        if not live:
            raise ConnectionError("no Socket Mode connection is open")
        envelope_id = envelope_id or f"env-{next(self._envelopes)}"
        self.sent[envelope_id] = (kind, payload)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        try:
            await random.choice(live).send_json(envelope)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._acks.pop(envelope_id, None)

    async def redeliver(self, envelope_id: str, retry_attempt: int = 1) -> dict[str, Any]:
        """Send an envelope again, as Slack does when it thinks an ack was lost."""
        kind, payload = self.sent[envelope_id]
        return await self.send(kind, payload, envelope_id=envelope_id, retry_attempt=retry_attempt)

    async def deliver_event(self, event: dict[str, Any], *, backoff: tuple[float, ...] = (1.0, 2.0, 4.0)) -> int:
        """An Events API event, retried as Slack does when no connection takes it (scaled down: Slack waits
        1 and 5 minutes). Returns the attempt (0-based) that was acknowledged; raises when all fail."""
        body = self._event_body(event)
        envelope_id = f"env-{next(self._envelopes)}"
        for attempt in range(len(backoff) + 1):
            try:
                await self.send("events_api", body, envelope_id=envelope_id, retry_attempt=attempt, timeout=3.0)
                return attempt
            except (ConnectionError, TimeoutError):
                if attempt == len(backoff):
                    raise
                await asyncio.sleep(backoff[attempt])
        raise AssertionError("unreachable")

    def post_as(self, channel: str, user: str, text: str) -> dict[str, Any]:
        """A person's message stored in the channel; returns the event to deliver (see deliver_event)."""
        message = Message(self.ws.new_ts(), user, text)
        self.ws.channels[channel].messages.append(message)
        return {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": message.ts,
            "channel_type": "channel",
        }

    def _bot_event(self, event: dict[str, Any]) -> None:
        """Messages the bot posts come back as events too, as in Slack (subscribed channels)."""
        if self._sockets and event.get("type") == "message":
            asyncio.get_running_loop().create_task(self._deliver_event(event))

    async def _deliver_event(self, event: dict[str, Any]) -> None:
        try:
            await self.send("events_api", self._event_body(event))
        except (ConnectionError, TimeoutError, RuntimeError):
            pass

    def _event_body(self, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "event_callback",
            "team_id": self.ws.team_id,
            "api_app_id": "A0APP",
            "event": {**event, "event_ts": event.get("ts", self.ws.new_ts())},
            "event_id": f"Ev{next(self._envelopes):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.ws.team_id, "user_id": self.ws.bot.id, "is_bot": True}],
        }

    # --- what people do -------------------------------------------------------------------------

    def _user(self, user: str) -> dict[str, str]:
        return {
            "id": user,
            "username": self.ws.users[user].name,
            "name": self.ws.users[user].name,
            "team_id": self.ws.team_id,
        }

    async def run_function(self, callback_id: str, inputs: dict[str, Any], **kw: Any) -> Execution:
        """A workflow reaches our custom step: `function_executed`."""
        execution = Execution(self.ws.new_id("Fx"), callback_id, inputs)
        self.ws.executions[execution.id] = execution
        event = {
            "type": "function_executed",
            "function": {
                "id": "Fn0001",
                "callback_id": callback_id,
                "title": callback_id,
                "type": "app",
                "app_id": "A0APP",
            },
            "inputs": inputs,
            "function_execution_id": execution.id,
            "workflow_execution_id": self.ws.new_id("Wx"),
            "event_ts": self.ws.new_ts(),
            "bot_access_token": BOT_TOKEN,
        }
        await self.send("events_api", self._event_body(event), **kw)
        return execution

    async def shortcut(self, callback_id: str, user: str, **kw: Any) -> dict[str, Any]:
        payload = {
            "type": "shortcut",
            "callback_id": callback_id,
            "trigger_id": self.ws.new_trigger(user),
            "user": self._user(user),
            "team": {"id": self.ws.team_id},
            "token": "legacy",
            "action_ts": self.ws.new_ts(),
        }
        return await self.send("interactive", payload, **kw)

    async def message_shortcut(self, callback_id: str, channel: str, ts: str, user: str, **kw: Any) -> dict[str, Any]:
        """A message shortcut (the ⋮ menu of a message)."""
        message = self.ws.channels[channel].find(ts)
        if message is None:
            raise LookupError(f"no message {ts} in {channel}")
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": self.ws.new_trigger(user),
            "user": self._user(user),
            "team": {"id": self.ws.team_id},
            "channel": {"id": channel, "name": self.ws.channels[channel].name},
            "message": message.as_api(),
            "message_ts": ts,
            "action_ts": self.ws.new_ts(),
            "response_url": f"{self.url}/respond/{self.ws.new_id('R')}",
            "token": "legacy",
        }
        return await self.send("interactive", payload, **kw)

    async def slash(self, command: str, text: str, user: str, channel: str, **kw: Any) -> dict[str, Any]:
        payload = {
            "command": command,
            "text": text,
            "user_id": user,
            "user_name": self.ws.users[user].name,
            "channel_id": channel,
            "channel_name": self.ws.channels[channel].name,
            "team_id": self.ws.team_id,
            "trigger_id": self.ws.new_trigger(user),
            "response_url": f"{self.url}/respond/{self.ws.new_id('R')}",
            "token": "legacy",
        }
        return await self.send("slash_commands", payload, **kw)

    def open_view(self, user: str) -> dict[str, Any] | None:
        """The modal this person has open (the newest), with its id."""
        views = [v for v in self.ws.views.values() if v.user == user and v.open and v.view.get("type") == "modal"]
        return {"id": views[-1].id, **views[-1].view} if views else None

    async def submit_view(self, view_id: str, user: str, values: dict[str, Any], **kw: Any) -> dict[str, Any]:
        """Fill the modal's inputs: `values` maps an input's action_id to a string (or option value)."""
        opened = self.ws.views[view_id]
        state: dict[str, dict[str, Any]] = {}
        for block in opened.view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            action_id = element.get("action_id")
            value = values.get(action_id)
            if element["type"] == "plain_text_input":
                entry = {"type": "plain_text_input", "value": value}
            elif element["type"] == "multi_static_select":
                picked = value if isinstance(value, list) else []
                options = [o for o in element["options"] if o["value"] in picked]
                options += [
                    {"text": {"type": "plain_text", "text": str(v)}, "value": v}
                    for v in picked
                    if v not in [o["value"] for o in element["options"]]
                ]  # forged values pass through
                entry = {"type": "multi_static_select", "selected_options": options}
            elif element["type"] == "static_select":
                option = next((o for o in element["options"] if o["value"] == value), None)
                if value is not None and option is None:  # a forged value, as a malicious client might
                    option = {"text": {"type": "plain_text", "text": str(value)}, "value": value}
                entry = {"type": "static_select", "selected_option": option}
            else:
                entry = {"type": element["type"], "value": value}
            state.setdefault(block["block_id"], {})[action_id] = entry
        payload = {
            "type": "view_submission",
            "user": self._user(user),
            "team": {"id": self.ws.team_id},
            "trigger_id": self.ws.new_trigger(user),
            "view": {"id": view_id, **opened.view, "state": {"values": state}},
            "token": "legacy",
        }
        ack = await self.send("interactive", payload, **kw)
        if ack.get("response_action") == "errors":
            opened.errors = dict(ack.get("errors") or {})
        else:
            opened.open = False
        return ack

    async def click(
        self, channel: str, ts: str, action_id: str, user: str, value: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Click the button `action_id` (and `value`, when several share it) of a message, as `user`."""
        message = self.ws.channels[channel].find(ts)
        if message is None:
            raise LookupError(f"no message {ts} in {channel}")
        button, block_id = self._find_button(message, action_id, value)
        payload = {
            "type": "block_actions",
            "user": self._user(user),
            "team": {"id": self.ws.team_id},
            "trigger_id": self.ws.new_trigger(user),
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel, "name": self.ws.channels[channel].name},
            "message": message.as_api(),
            "response_url": f"{self.url}/respond/{self.ws.new_id('R')}",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": button.get("value", ""),
                    "text": button["text"],
                    "action_ts": self.ws.new_ts(),
                }
            ],
            "token": "legacy",
        }
        return await self.send("interactive", payload, **kw)

    async def click_view(
        self, view_id: str, action_id: str, user: str, value: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Click a button of a view (the Home tab or a modal); `value` tells same-named buttons apart."""
        opened = self.ws.views[view_id]
        button, block_id = self._find_button(Message("0", "", "", opened.view.get("blocks", [])), action_id, value)
        payload = {
            "type": "block_actions",
            "user": self._user(user),
            "team": {"id": self.ws.team_id},
            "trigger_id": self.ws.new_trigger(user),
            "container": {"type": "view", "view_id": view_id},
            "view": {"id": view_id, **opened.view},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": button.get("value", ""),
                    "text": button["text"],
                    "action_ts": self.ws.new_ts(),
                }
            ],
            "token": "legacy",
        }
        return await self.send("interactive", payload, **kw)

    @staticmethod
    def _find_button(message: Message, action_id: str, value: str | None = None) -> tuple[dict[str, Any], str]:
        for block in message.blocks:
            elements = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory")]
            for element in elements:
                if element and element.get("action_id") == action_id and value in (None, element.get("value")):
                    return element, str(block.get("block_id", ""))
        raise LookupError(f"message {message.ts} has no button {action_id!r}")

    async def type_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> str:
        """A person posts a message; the bot gets the `message` event (text escaped as Slack clients do)."""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        chan = self.ws.channels[channel]
        message = Message(self.ws.new_ts(), user, text, thread_ts=thread_ts)
        chan.messages.append(message)
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": message.ts,
            "channel_type": "channel",
            **({"thread_ts": thread_ts} if thread_ts else {}),
        }
        await self.send("events_api", self._event_body(event))
        return message.ts

    # --- what people see ------------------------------------------------------------------------

    def messages(self, channel: str, *, thread_ts: str | None = None) -> list[Message]:
        msgs = self.ws.channels[channel].messages
        if thread_ts:
            return [m for m in msgs if m.thread_ts == thread_ts]
        return [m for m in msgs if not m.thread_ts]

    def seen(self, channel: str, ts: str) -> tuple[str, list[str]]:
        message = self.ws.channels[channel].find(ts)
        assert message is not None, f"no message {ts}"
        return seen(message.text, message.blocks)

    def ephemerals_for(self, user: str) -> list[str]:
        return [e.text for e in self.ws.ephemerals if e.user == user]


__all__ = ["APP_TOKEN", "BOT_TOKEN", "SlackEmulator", "_json"]
