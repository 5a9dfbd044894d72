"""The Web API methods of the emulator: each takes the call's arguments and answers as Slack does."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from sandbox.slack.blockkit import BlockError, validate_blocks, validate_view
from sandbox.slack.workspace import Ephemeral, Message, View, Workspace

_NAME = re.compile(r"^[a-z0-9_-]+$")
TRIGGER_TTL = 3.0


class ApiError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def _bool(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError("invalid_arguments") from None
    return value


class WebApi:
    def __init__(self, ws: Workspace, on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.ws = ws
        self.base_url = ""
        self.on_event = on_event or (lambda event: None)
        self.methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.getPermalink": self.permalink,
            "conversations.create": self.create,
            "conversations.setTopic": self.set_topic,
            "conversations.invite": self.invite,
            "conversations.join": self.join,
            "conversations.info": self.info,
            "conversations.list": self.conversations_list,
            "conversations.history": self.history,
            "conversations.replies": self.replies,
            "conversations.archive": self.archive,
            "users.info": self.users_info,
            "users.lookupByEmail": self.lookup_email,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroup_users,
            "views.open": self.views_open,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.getUploadURLExternal": self.upload_url,
            "files.completeUploadExternal": self.complete_upload,
            "bookmarks.add": self.bookmarks_add,
            "bookmarks.list": self.bookmarks_list,
            "functions.completeSuccess": self.complete_success,
            "functions.completeError": self.complete_error,
        }

    # --- helpers --------------------------------------------------------------------------------

    def _channel(self, args: dict[str, Any], key: str = "channel"):  # type: ignore[no-untyped-def]
        channel_id = args.get(key)
        if not channel_id:
            raise ApiError("channel_not_found")
        channel = self.ws.channels.get(str(channel_id))
        if channel is None:
            channel = self.ws.channel_by_name(str(channel_id)) if str(channel_id).startswith("#") else None
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def _blocks(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        blocks = _json(args.get("blocks")) if args.get("blocks") is not None else []
        try:
            validate_blocks(blocks)
        except BlockError as exc:
            raise ApiError("invalid_blocks", errors=[str(exc)]) from None
        return list(blocks)

    # --- methods --------------------------------------------------------------------------------

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": self.ws.bot.id,
            "user": self.ws.bot.name,
            "team_id": self.ws.team_id,
            "bot_id": "B0BOT",
            "team": "Sandbox",
            "url": "https://sandbox.slack.test/",
        }

    def _dm(self, user: str):  # type: ignore[no-untyped-def]
        """The app's DM with a person (chat.postMessage to a user ID opens it)."""
        if user not in self.ws.users:
            raise ApiError("channel_not_found")
        if self.ws.users[user].is_bot:
            raise ApiError("cannot_dm_bot")
        name = f"dm-{user.lower()}"
        channel = self.ws.channel_by_name(name)
        if channel is None:
            channel = self.ws.add_channel(name, [self.ws.bot.id, user], is_private=True, creator=self.ws.bot.id)
            channel.is_im = True
        return channel

    def post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        target = str(args.get("channel") or "")
        channel = self._dm(target) if target[:1] in ("U", "W") else self._channel(args)
        if channel.is_archived:
            raise ApiError("is_archived")
        if self.ws.bot.id not in channel.members:
            raise ApiError("not_in_channel")
        text = str(args.get("text") or "")
        blocks = self._blocks(args)
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > 40_000:
            raise ApiError("msg_too_long")
        thread_ts = args.get("thread_ts") or None
        if thread_ts and channel.find(str(thread_ts)) is None:
            raise ApiError("thread_not_found")
        metadata = _json(args.get("metadata")) if args.get("metadata") else None
        message = Message(self.ws.new_ts(), self.ws.bot.id, text, blocks, thread_ts, metadata, bot=True)
        channel.messages.append(message)
        self.on_event(
            {
                "type": "message",
                "channel": channel.id,
                "user": self.ws.bot.id,
                "bot_id": "B0BOT",
                "text": text,
                "ts": message.ts,
                **({"thread_ts": thread_ts} if thread_ts else {}),
            }
        )
        return {"channel": channel.id, "ts": message.ts, "message": message.as_api()}

    def update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = channel.find(str(args.get("ts")))
        if message is None:
            raise ApiError("message_not_found")
        if not message.bot:
            raise ApiError("cant_update_message")
        blocks = self._blocks(args) if "blocks" in args else message.blocks
        message.text = str(args.get("text") or message.text)
        message.blocks = blocks
        message.edited = True
        return {"channel": channel.id, "ts": message.ts, "text": message.text}

    def post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        user = str(args.get("user"))
        if user not in self.ws.users:
            raise ApiError("user_not_found")
        if user not in channel.members:
            raise ApiError("user_not_in_channel")
        blocks = self._blocks(args)
        self.ws.ephemerals.append(Ephemeral(channel.id, user, str(args.get("text") or ""), blocks))
        return {"message_ts": self.ws.new_ts()}

    def permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args.get("message_ts"))
        if channel.find(ts) is None:
            raise ApiError("message_not_found")
        return {
            "channel": channel.id,
            "permalink": f"https://sandbox.slack.test/archives/{channel.id}/p{ts.replace('.', '')}",
        }

    def create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("name") or "")
        if not name:
            raise ApiError("invalid_name_required")
        if len(name) > 80:
            raise ApiError("invalid_name_maxlength")
        if not _NAME.match(name):
            raise ApiError("invalid_name_specials")
        if self.ws.channel_by_name(name) is not None:
            raise ApiError("name_taken")
        channel = self.ws.add_channel(
            name, [self.ws.bot.id], is_private=_bool(args.get("is_private")), creator=self.ws.bot.id
        )
        return {"channel": channel.as_api()}

    def set_topic(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if self.ws.bot.id not in channel.members:
            raise ApiError("not_in_channel")
        topic = str(args.get("topic") or "")
        if len(topic) > 250:
            raise ApiError("too_long")
        channel.topic = topic
        return {"channel": channel.as_api()}

    def invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel.is_archived:
            raise ApiError("is_archived")
        if self.ws.bot.id not in channel.members:
            raise ApiError("not_in_channel")
        raw = args.get("users") or ""
        users = [u.strip() for u in (raw if isinstance(raw, list) else str(raw).split(",")) if u.strip()]
        if not users:
            raise ApiError("no_user")
        if len(users) > 1000:
            raise ApiError("too_many_users")
        errors = []
        for user in users:
            if user not in self.ws.users:
                errors.append({"user": user, "ok": False, "error": "user_not_found"})
            elif user == self.ws.bot.id:
                errors.append({"user": user, "ok": False, "error": "cant_invite_self"})
            elif user in channel.members:
                errors.append({"user": user, "ok": False, "error": "already_in_channel"})
        if errors and not _bool(args.get("force")):
            raise ApiError(str(errors[0]["error"]))
        if len(errors) == len(users):
            raise ApiError(str(errors[0]["error"]), errors=errors)
        for user in users:
            if user in self.ws.users and user != self.ws.bot.id:
                channel.members.add(user)
        result: dict[str, Any] = {"channel": channel.as_api()}
        if errors:
            result["errors"] = errors
        return result

    def join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel.is_private:
            raise ApiError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise ApiError("is_archived")
        channel.members.add(self.ws.bot.id)
        return {"channel": channel.as_api()}

    def info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel(args).as_api()}

    def conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        exclude = _bool(args.get("exclude_archived"))
        channels = [c for c in self.ws.channels.values() if not (exclude and c.is_archived)]
        channels = [c for c in channels if not c.is_private or self.ws.bot.id in c.members]
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        start = int(args.get("cursor") or 0)
        page = channels[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(channels) else ""
        return {"channels": [c.as_api() for c in page], "response_metadata": {"next_cursor": next_cursor}}

    def _read(self, args: dict[str, Any]):  # type: ignore[no-untyped-def]
        channel = self._channel(args)
        if channel.is_private and self.ws.bot.id not in channel.members:
            raise ApiError("channel_not_found")
        return channel

    @staticmethod
    def _page(items: list[dict[str, Any]], args: dict[str, Any], limit_max: int) -> dict[str, Any]:
        """Cursor pagination as Slack does it: `limit`, `cursor`, `response_metadata.next_cursor`."""
        limit = max(1, min(int(args.get("limit") or 100), limit_max))
        cursor = str(args.get("cursor") or "")
        start = int(cursor.removeprefix("page:")) if cursor.startswith("page:") else 0
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": f"page:{start + limit}" if more else ""},
        }

    def history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._read(args)
        meta = _bool(args.get("include_all_metadata"))
        top = [m for m in channel.messages if not m.thread_ts or m.thread_ts == m.ts]
        items = [self._with_replies(channel, m, meta) for m in reversed(top)]
        return self._page(items, args, 999)

    def _with_replies(self, channel, message: Message, meta: bool) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        data = message.as_api(meta)
        replies = [m for m in channel.messages if m.thread_ts == message.ts and m.ts != message.ts]
        if replies:
            data.update(thread_ts=message.ts, reply_count=len(replies), latest_reply=replies[-1].ts)
        return data

    def replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._read(args)
        ts = str(args.get("ts"))
        parent = channel.find(ts)
        if parent is None:
            raise ApiError("thread_not_found")
        meta = _bool(args.get("include_all_metadata"))
        thread = [parent] + [m for m in channel.messages if m.thread_ts == ts and m.ts != ts]
        return self._page([m.as_api(meta) for m in thread], args, 1000)

    def archive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel.is_archived:
            raise ApiError("already_archived")
        channel.is_archived = True
        return {}

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.ws.users.get(str(args.get("user")))
        if user is None:
            raise ApiError("user_not_found")
        return {
            "user": {
                "id": user.id,
                "name": user.name,
                "real_name": user.name,
                "is_bot": user.is_bot,
                "profile": {"email": user.email, "real_name": user.name},
            }
        }

    def lookup_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").lower()
        user = next((u for u in self.ws.users.values() if (u.email or "").lower() == email), None)
        if user is None:
            raise ApiError("users_not_found")
        return {"user": {"id": user.id, "name": user.name}}

    def usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "usergroups": [
                {"id": g.id, "handle": g.handle, "name": g.handle, "user_count": len(g.users)}
                for g in self.ws.usergroups.values()
            ]
        }

    def usergroup_users(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self.ws.usergroups.get(str(args.get("usergroup")))
        if group is None:
            raise ApiError("no_such_subteam")
        return {"users": list(group.users)}

    def _check_view(self, view: Any) -> dict[str, Any]:
        view = _json(view)
        try:
            validate_view(view)
        except BlockError as exc:
            raise ApiError("invalid_arguments", response_metadata={"messages": [str(exc)]}) from None
        return dict(view)

    def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args.get("trigger_id") or "")
        issued = self.ws.triggers.pop(trigger, None)
        if issued is None:
            raise ApiError("invalid_trigger_id")
        user, at = issued
        if time.monotonic() - at > TRIGGER_TTL:
            raise ApiError("expired_trigger_id")
        view = self._check_view(args.get("view"))
        opened = View(self.ws.new_id("V"), user, view)
        self.ws.views[opened.id] = opened
        return {"view": {"id": opened.id, **view}}

    def views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        opened = self.ws.views.get(str(args.get("view_id")))
        if opened is None:
            raise ApiError("not_found")
        opened.view = self._check_view(args.get("view"))
        return {"view": {"id": opened.id, **opened.view}}

    def views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id"))
        if user not in self.ws.users:
            raise ApiError("user_not_found")
        view = self._check_view(args.get("view"))
        if len(json.dumps(view)) > 250_000:
            raise ApiError("view_too_large")
        home_id = f"VHOME{user}"
        self.ws.views[home_id] = View(home_id, user, view)
        return {"view": {"id": home_id, **view}}

    def _execution(self, args: dict[str, Any]):  # type: ignore[no-untyped-def]
        execution = self.ws.executions.get(str(args.get("function_execution_id")))
        if execution is None:
            raise ApiError("function_execution_not_found")
        if execution.state != "pending":
            raise ApiError("function_execution_already_completed")
        return execution

    def upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("filename") or "")
        length = int(args.get("length") or 0)
        if not name:
            raise ApiError("invalid_arguments")
        if length <= 0 or length > 1_000_000_000:
            raise ApiError("invalid_length")
        file_id = self.ws.new_id("F")
        self.ws.files[file_id] = {
            "id": file_id,
            "name": name,
            "size": length,
            "content": None,
            "permalink": f"https://sandbox.slack.test/files/{file_id}/{name}",
        }
        return {"file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"}

    def complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _json(args.get("files") or "[]")
        if not isinstance(files, list) or not files:
            raise ApiError("invalid_arguments")
        shared = []
        for item in files:
            stored = self.ws.files.get(str(item.get("id")))
            if stored is None or stored["content"] is None:
                raise ApiError("file_not_found")
            stored["title"] = item.get("title") or stored["name"]
            shared.append(stored)
        channel_id = args.get("channel_id")
        if channel_id:
            channel = self._channel(args, "channel_id")
            if self.ws.bot.id not in channel.members:
                raise ApiError("not_in_channel")
            message = Message(
                self.ws.new_ts(),
                self.ws.bot.id,
                str(args.get("initial_comment") or ""),
                thread_ts=args.get("thread_ts") or None,
                bot=True,
                files=[{k: f[k] for k in ("id", "name", "title", "permalink")} for f in shared],
            )
            channel.messages.append(message)
        return {
            "files": [
                {"id": f["id"], "name": f["name"], "title": f["title"], "permalink": f["permalink"]} for f in shared
            ]
        }

    def bookmarks_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args, "channel_id")
        if self.ws.bot.id not in channel.members:
            raise ApiError("not_in_channel")
        if args.get("type") != "link" or not str(args.get("link", "")).startswith(("http://", "https://")):
            raise ApiError("invalid_link")
        if not args.get("title"):
            raise ApiError("invalid_title")
        bookmark = {
            "id": self.ws.new_id("Bk"),
            "channel_id": channel.id,
            "title": str(args["title"]),
            "link": str(args["link"]),
            "type": "link",
        }
        channel.bookmarks.append(bookmark)
        return {"bookmark": bookmark}

    def bookmarks_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args, "channel_id")
        return {"bookmarks": list(channel.bookmarks)}

    def complete_success(self, args: dict[str, Any]) -> dict[str, Any]:
        execution = self._execution(args)
        execution.state, execution.outputs = "completed", dict(_json(args.get("outputs") or {}))
        return {}

    def complete_error(self, args: dict[str, Any]) -> dict[str, Any]:
        execution = self._execution(args)
        execution.state, execution.error = "failed", str(args.get("error") or "")
        return {}
