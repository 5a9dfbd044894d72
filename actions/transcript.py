"""The channel transcript: every message in order, replies under their parent, names, UTC times, files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from actions.slack import SlackGateway

_ENTITY = re.compile(r"<([^<>]+)>")


@dataclass
class Line:
    ts: str
    user: str
    text: str
    files: list[tuple[str, str]] = field(default_factory=list)
    replies: list[Line] = field(default_factory=list)

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(float(self.ts), UTC)


def plain_text(text: str, names: dict[str, str]) -> str:
    """Slack mrkdwn as a reader sees it: <@U1> -> @name, <#C1|x> -> #x, <url|label> -> label (url)."""

    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + names.get(target[1:], label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return f"{label} ({target})" if label and label != target else target

    shown = _ENTITY.sub(replace, text)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def fetch(slack: SlackGateway, channel: str) -> list[Line]:
    """All messages of the channel, oldest first, each thread's replies under its parent (paginated)."""
    raw: list[dict[str, Any]] = []
    async for message in slack.history(channel):
        raw.append(message)
    raw.sort(key=lambda m: float(m["ts"]))
    names: dict[str, str] = {}
    lines = []
    for message in raw:
        line = await _line(slack, message, names)
        if message.get("reply_count") or message.get("latest_reply"):
            async for reply in slack.replies(channel, message["ts"]):
                if reply["ts"] != message["ts"]:
                    line.replies.append(await _line(slack, reply, names))
            line.replies.sort(key=lambda r: float(r.ts))
        lines.append(line)
    return lines


async def _line(slack: SlackGateway, message: dict[str, Any], names: dict[str, str]) -> Line:
    user = str(message.get("user") or message.get("bot_id") or "unknown")
    for mentioned in re.findall(r"<@([UW][A-Z0-9]+)", str(message.get("text", ""))):
        if mentioned not in names:
            names[mentioned] = await slack.user_name(mentioned)
    if user not in names:
        names[user] = await slack.user_name(user) if user[:1] in ("U", "W") else str(message.get("username") or user)
    files = [
        (str(f.get("name") or f.get("title") or "file"), str(f.get("permalink") or ""))
        for f in message.get("files", []) or []
    ]
    return Line(str(message["ts"]), names[user], plain_text(str(message.get("text") or ""), names), files)


def render(lines: list[Line], title: str) -> str:
    """The transcript as a text file."""
    out = [title, "=" * len(title), ""]

    def emit(line: Line, indent: str) -> None:
        stamp = line.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        text = line.text.replace("\n", "\n" + indent + " " * 4)
        out.append(f"{indent}[{stamp}] {line.user}: {text}")
        for name, link in line.files:
            out.append(f"{indent}    [file: {name}{' <' + link + '>' if link else ''}]")

    for line in lines:
        emit(line, "")
        for reply in line.replies:
            emit(reply, "    ↳ ")
    out.append("")
    out.append(f"{sum(1 + len(line.replies) for line in lines)} messages")
    return "\n".join(out) + "\n"
