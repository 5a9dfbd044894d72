"""Slack Web API gateway: the calls the bot makes, with retries, timeouts and one error type."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import IntegrationError, TransientError

log = logging.getLogger(__name__)

TRANSIENT_CODES = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
INVITE_BATCH = 100  # conversations.invite takes at most 100 users per call


class _ServerErrorRetry(AsyncServerErrorRetryHandler):
    """Slack's own handler retries 500 and 503 only; gateways also answer 502 and 504."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


def build_client(
    token: str, base_url: str, timeout: float, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """An AsyncWebClient that retries 429 (honouring Retry-After), 5xx and connection errors.

    Give it a `session` to reuse connections (without one, slack_sdk opens a connection per call).
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        timeout=int(max(timeout, 1)),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=10),
            _ServerErrorRetry(max_retry_count=2),
        ],
    )


class ChannelPacer:
    """Slack allows about one message per second per channel, with short bursts: a token bucket per
    channel keeps a burst of posts in order instead of a herd of 429 retries."""

    def __init__(self, rate: float = 1.0, burst: int = 3, clock: Any = None) -> None:
        self.rate, self.burst = rate, burst
        self._clock = clock or asyncio.get_running_loop().time
        self._next: dict[str, float] = {}
        self._tokens: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        now = self._clock()
        tokens = min(
            self.burst, self._tokens.get(channel, self.burst) + (now - self._next.get(channel, now)) * self.rate
        )
        self._next[channel] = now
        if tokens >= 1:
            self._tokens[channel] = tokens - 1
            return
        delay = (1 - tokens) / self.rate
        self._tokens[channel] = tokens - 1  # the debt is paid by the time we wake up
        await asyncio.sleep(delay)


class SlackGateway:
    """The Slack calls of the bot. Every failure comes out as IntegrationError or TransientError."""

    def __init__(self, client: AsyncWebClient, on_error: Any = None) -> None:
        self.client = client
        self.on_error = on_error or (lambda code: None)
        """Called with the error code of every failed call (for the metrics)."""
        self.bot_user_id: str | None = None
        self._groups: dict[str, str] | None = None
        self._names: dict[str, str] = {}
        self._pacer: ChannelPacer | None = None
        self.team_url: str = "https://slack.com/"

    async def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            # The typed methods know each method's encoding (form for reads, JSON for blocks).
            response = await getattr(self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            code = (
                str(exc.response.get("error") or f"http_{status}")
                if isinstance(exc.response.data, dict)
                else f"http_{status}"
            )
            self.on_error(code)
            if status == 429 or status >= 500 or code in TRANSIENT_CODES:
                retry_after = exc.response.headers.get("Retry-After") if exc.response.headers else None
                raise TransientError(
                    "slack", code, method, retry_after=float(retry_after) if retry_after else None
                ) from None
            raise IntegrationError("slack", code, method) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.on_error(type(exc).__name__)
            raise TransientError("slack", type(exc).__name__, method) from None
        data = response.data
        assert isinstance(data, dict)
        return data

    async def auth_test(self) -> dict[str, Any]:
        data = await self.call("auth.test")
        self.bot_user_id = data.get("user_id")
        self.team_url = str(data.get("url") or self.team_url)
        return data

    def channel_url(self, channel: str) -> str:
        return f"{self.team_url.rstrip('/')}/archives/{channel}"

    async def user_name(self, user: str) -> str:
        """A person's display name (cached); the ID itself when Slack does not know them."""
        if user not in self._names:
            try:
                data = await self.call("users.info", user=user)
                profile = data["user"].get("profile") or {}
                self._names[user] = str(
                    profile.get("display_name")
                    or profile.get("real_name")
                    or data["user"].get("real_name")
                    or data["user"].get("name")
                    or user
                )
            except IntegrationError as exc:
                if exc.code != "user_not_found":
                    raise
                self._names[user] = user
        return self._names[user]

    async def history(self, channel: str, page_size: int = 200) -> AsyncIterator[dict[str, Any]]:
        """Every top-level message of the channel, newest first, page after page."""
        cursor = ""
        while True:
            data = await self.call("conversations.history", channel=channel, limit=page_size, cursor=cursor)
            for message in data.get("messages", []):
                yield dict(message)
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return

    async def replies(self, channel: str, ts: str, page_size: int = 200) -> AsyncIterator[dict[str, Any]]:
        cursor = ""
        while True:
            data = await self.call("conversations.replies", channel=channel, ts=ts, limit=page_size, cursor=cursor)
            for message in data.get("messages", []):
                yield dict(message)
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return

    async def upload(
        self, channel: str, filename: str, content: bytes, title: str, comment: str, thread_ts: str | None = None
    ) -> str:
        """Upload a file into a channel (files.getUploadURLExternal + completeUploadExternal)."""
        kwargs: dict[str, Any] = {
            "channel": channel,
            "filename": filename,
            "content": content,
            "title": title,
            "initial_comment": comment,
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        data = await self.call("files_upload_v2", **kwargs)
        files = data.get("files") or [data.get("file") or {}]
        return str(files[0].get("permalink") or "")

    # --- channels -------------------------------------------------------------------------------

    async def resolve_channel(self, name_or_id: str) -> str:
        """`#incidents` or `C0123` -> channel ID. Raises IntegrationError(channel_not_found)."""
        if not name_or_id.startswith("#"):
            return name_or_id
        found = await self.find_channel(name_or_id[1:])
        if found is None:
            raise IntegrationError("slack", "channel_not_found", name_or_id)
        return str(found["id"])

    async def find_channel(self, name: str) -> dict[str, Any] | None:
        cursor = ""
        while True:
            data = await self.call(
                "conversations.list",
                types="public_channel,private_channel",
                exclude_archived=False,
                limit=1000,
                cursor=cursor,
            )
            for channel in data.get("channels", []):
                if channel.get("name") == name:
                    return dict(channel)
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return None

    async def join(self, channel: str) -> None:
        try:
            await self.call("conversations.join", channel=channel)
        except IntegrationError as exc:
            if exc.code not in ("method_not_supported_for_channel_type", "already_in_channel"):
                raise

    async def create_channel(self, name: str) -> dict[str, Any]:
        data = await self.call("conversations.create", name=name, is_private=False)
        return dict(data["channel"])

    async def archive(self, channel: str) -> None:
        await self.call("conversations.archive", channel=channel)

    async def set_topic(self, channel: str, topic: str) -> None:
        await self.call("conversations.setTopic", channel=channel, topic=topic[:250])

    async def invite(self, channel: str, users: Sequence[str]) -> list[dict[str, str]]:
        """Invite in batches of 100; returns per-user errors (already in channel is not an error)."""
        errors: list[dict[str, str]] = []
        for start in range(0, len(users), INVITE_BATCH):
            batch = list(users[start : start + INVITE_BATCH])
            try:
                data = await self.call("conversations.invite", channel=channel, users=",".join(batch), force=True)
            except IntegrationError as exc:
                if exc.code == "already_in_channel":
                    continue
                raise
            for error in data.get("errors", []) or []:
                if error.get("error") not in ("already_in_channel", "cant_invite_self"):
                    errors.append({"user": str(error.get("user")), "error": str(error.get("error"))})
        return errors

    # --- people ---------------------------------------------------------------------------------

    async def user_by_email(self, email: str) -> str | None:
        try:
            data = await self.call("users.lookupByEmail", email=email)
        except IntegrationError as exc:
            if exc.code == "users_not_found":
                return None
            raise
        return str(data["user"]["id"])

    async def people(self, who: Any) -> tuple[list[str], list[str]]:
        """User IDs of `who` (users, user groups expanded, emails looked up), and what was not found."""
        users: list[str] = list(who.users)
        problems: list[str] = []
        for group in who.usergroups:
            members = await self.usergroup_members(group)
            if members is None:
                problems.append(f"user group {group} does not exist")
            else:
                users.extend(members)
        for email in who.emails:
            user = await self.user_by_email(email)
            if user is None:
                problems.append(f"no Slack user has the email {email}")
            else:
                users.append(user)
        return users, problems

    async def usergroup_id(self, handle_or_id: str) -> str | None:
        if not handle_or_id.startswith("@"):
            return handle_or_id
        handle = handle_or_id[1:]
        if self._groups is None or handle not in self._groups:
            data = await self.call("usergroups.list", include_disabled=False)
            self._groups = {g["handle"]: g["id"] for g in data.get("usergroups", [])}
        return self._groups.get(handle)

    async def usergroup_members(self, handle_or_id: str) -> list[str] | None:
        """Members of a user group, or None when it does not exist."""
        group_id = await self.usergroup_id(handle_or_id)
        if group_id is None:
            return None
        try:
            data = await self.call("usergroups.users.list", usergroup=group_id)
        except IntegrationError as exc:
            if exc.code in ("no_such_subteam", "subteam_not_found"):
                return None
            raise
        return [str(u) for u in data.get("users", [])]

    # --- messages -------------------------------------------------------------------------------

    async def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if blocks is not None:
            kwargs["blocks"] = blocks
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if metadata:
            kwargs["metadata"] = metadata
        await self._pace(channel)
        data = await self.call("chat.postMessage", **kwargs)
        return str(data["ts"])

    async def _pace(self, channel: str) -> None:
        if self._pacer is None:
            self._pacer = ChannelPacer()
        await self._pacer.wait(channel)

    async def post_to(self, target: str, text: str, blocks: list[dict[str, Any]]) -> tuple[str, str]:
        """Post to a channel, or to a person's DM with the app when `target` is a user ID."""
        await self._pace(target)
        data = await self.call("chat.postMessage", channel=target, text=text, blocks=blocks, unfurl_links=False)
        return str(data["channel"]), str(data["ts"])

    async def bookmarks(self, channel: str) -> list[dict[str, Any]]:
        data = await self.call("bookmarks.list", channel_id=channel)
        return [dict(b) for b in data.get("bookmarks", [])]

    async def add_bookmark(self, channel: str, title: str, link: str) -> None:
        await self.call("bookmarks.add", channel_id=channel, title=title, type="link", link=link)

    async def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        await self.call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    async def ephemeral(self, channel: str, user: str, text: str) -> None:
        await self.call("chat.postEphemeral", channel=channel, user=user, text=text)

    async def find_marked(self, channel: str, event_type: str, key: str, thread_ts: str | None = None) -> str | None:
        """The ts of a message the bot already posted with this metadata (used to stay idempotent)."""
        if thread_ts:
            data = await self.call(
                "conversations.replies", channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        else:
            data = await self.call("conversations.history", channel=channel, include_all_metadata=True, limit=200)
        for message in data.get("messages", []):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == event_type and (meta.get("event_payload") or {}).get("key") == key:
                return str(message["ts"])
        return None

    async def permalink(self, channel: str, ts: str) -> str | None:
        try:
            data = await self.call("chat.getPermalink", channel=channel, message_ts=ts)
        except IntegrationError:
            return None
        return str(data.get("permalink")) or None

    # --- workflow steps -------------------------------------------------------------------------

    async def complete_function(self, execution_id: str, outputs: dict[str, Any]) -> None:
        await self.call("functions.completeSuccess", function_execution_id=execution_id, outputs=outputs)

    async def fail_function(self, execution_id: str, error: str) -> None:
        await self.call("functions.completeError", function_execution_id=execution_id, error=error)
