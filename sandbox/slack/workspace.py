"""The emulated workspace: users, user groups, channels, messages, views and workflow executions."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    id: str
    name: str
    email: str | None = None
    is_bot: bool = False


@dataclass
class Usergroup:
    id: str
    handle: str
    users: list[str] = field(default_factory=list)


@dataclass
class Message:
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    edited: bool = False
    bot: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)

    def as_api(self, with_metadata: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "user": self.user, "text": self.text}
        if self.blocks:
            data["blocks"] = self.blocks
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.bot:
            data["bot_id"] = "B0BOT"
        if self.files:
            data["files"] = self.files
        if with_metadata and self.metadata:
            data["metadata"] = self.metadata
        return data


@dataclass
class Channel:
    id: str
    name: str
    creator: str
    is_private: bool = False
    is_archived: bool = False
    topic: str = ""
    members: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))
    bookmarks: list[dict[str, Any]] = field(default_factory=list)
    is_im: bool = False

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "creator": self.creator,
            "created": self.created,
            "topic": {"value": self.topic},
            "num_members": len(self.members),
        }

    def find(self, ts: str) -> Message | None:
        return next((m for m in self.messages if m.ts == ts), None)


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Execution:
    id: str
    callback_id: str
    inputs: dict[str, Any]
    state: str = "pending"  # pending | completed | failed
    outputs: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class View:
    id: str
    user: str
    view: dict[str, Any]
    open: bool = True
    errors: dict[str, str] = field(default_factory=dict)


class Workspace:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._ts_base = int(time.time())
        self.team_id = "T0TEAM"
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.channels: dict[str, Channel] = {}
        self.ephemerals: list[Ephemeral] = []
        self.executions: dict[str, Execution] = {}
        self.views: dict[str, View] = {}
        self.triggers: dict[str, tuple[str, float]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.bot = self.add_user("incident-bot", is_bot=True)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def new_ts(self) -> str:
        return f"{self._ts_base}.{next(self._ts):06d}"

    def add_user(self, name: str, email: str | None = None, *, is_bot: bool = False) -> User:
        user = User(self.new_id("U"), name, email, is_bot)
        self.users[user.id] = user
        return user

    def add_usergroup(self, handle: str, users: list[str]) -> Usergroup:
        group = Usergroup(self.new_id("S"), handle.lstrip("@"), list(users))
        self.usergroups[group.id] = group
        return group

    def add_channel(
        self, name: str, members: list[str] | None = None, *, is_private: bool = False, creator: str | None = None
    ) -> Channel:
        channel = Channel(self.new_id("C"), name, creator or "U0ADMIN", is_private, members=set(members or []))
        self.channels[channel.id] = channel
        return channel

    def channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name.lstrip("#")), None)

    def group_by_handle(self, handle: str) -> Usergroup | None:
        return next((g for g in self.usergroups.values() if g.handle == handle.lstrip("@")), None)

    def user_by_name(self, name: str) -> User | None:
        return next((u for u in self.users.values() if u.name == name), None)

    def new_trigger(self, user: str) -> str:
        trigger = f"{next(self._ids)}.{int(time.time())}.trigger"
        self.triggers[trigger] = (user, time.monotonic())
        return trigger
