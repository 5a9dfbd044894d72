"""Block Kit limits as Slack enforces them, and what a person sees of mrkdwn text.

Limits from Slack's Block Kit reference: 50 blocks per message, 100 per modal or Home tab; section
text 3000, header 150, button text 75, value 2000, ids 255, options 100, context elements 10,
actions elements 25, fields 10 of 2000, view title/submit/close 24, private_metadata 3000.
"""

from __future__ import annotations

import re
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 40_000


class BlockError(ValueError):
    pass


def _text(obj: Any, where: str, limit: int, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        raise BlockError(f"{where}: must be a text object of type {'/'.join(kinds)}")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise BlockError(f"{where}: text must be a non-empty string")
    if len(text) > limit:
        raise BlockError(f"{where}: must be less than {limit + 1} characters")


def _id(value: Any, where: str) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > 255):
        raise BlockError(f"{where}: must be a string of at most 255 characters")


def _element(el: Any, where: str) -> None:
    if not isinstance(el, dict):
        raise BlockError(f"{where}: must be an object")
    kind = el.get("type")
    _id(el.get("action_id"), f"{where}.action_id")
    if kind == "button":
        _text(el.get("text"), f"{where}.text", 75, ("plain_text",))
        if "value" in el and len(str(el["value"])) > 2000:
            raise BlockError(f"{where}.value: must be less than 2001 characters")
        if "url" in el and len(str(el["url"])) > 3000:
            raise BlockError(f"{where}.url: must be less than 3001 characters")
        if el.get("style") not in (None, "primary", "danger"):
            raise BlockError(f"{where}.style: must be primary or danger")
    elif kind in ("static_select", "multi_static_select"):
        options = el.get("options") or []
        if not 1 <= len(options) <= 100:
            raise BlockError(f"{where}.options: must have 1 to 100 items")
        for i, option in enumerate(options):
            _text(option.get("text"), f"{where}.options[{i}].text", 75, ("plain_text",))
            if len(str(option.get("value", ""))) > 150:
                raise BlockError(f"{where}.options[{i}].value: must be less than 151 characters")
            if "description" in option:
                _text(option["description"], f"{where}.options[{i}].description", 75, ("plain_text",))
    elif kind == "plain_text_input":
        if el.get("max_length") is not None and not 1 <= int(el["max_length"]) <= 3000:
            raise BlockError(f"{where}.max_length: must be 1 to 3000")
    elif kind in ("image",):
        pass
    elif kind in (
        "users_select",
        "conversations_select",
        "channels_select",
        "overflow",
        "datepicker",
        "checkboxes",
        "radio_buttons",
        "multi_users_select",
    ):
        pass
    else:
        raise BlockError(f"{where}.type: unsupported element type {kind!r}")


def validate_blocks(blocks: Any, limit: int = MESSAGE_BLOCKS) -> None:
    if not isinstance(blocks, list):
        raise BlockError("blocks: must be an array")
    if len(blocks) > limit:
        raise BlockError(f"blocks: must have at most {limit} items")
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, dict):
            raise BlockError(f"{where}: must be an object")
        _id(block.get("block_id"), f"{where}.block_id")
        kind = block.get("type")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                raise BlockError(f"{where}: needs text or fields")
            if "text" in block:
                _text(block["text"], f"{where}.text", 3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                raise BlockError(f"{where}.fields: must have at most 10 items")
            for j, f in enumerate(fields):
                _text(f, f"{where}.fields[{j}]", 2000)
            if "accessory" in block:
                _element(block["accessory"], f"{where}.accessory")
        elif kind == "header":
            _text(block.get("text"), f"{where}.text", 150, ("plain_text",))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                raise BlockError(f"{where}.elements: must have 1 to 10 items")
            for j, el in enumerate(elements):
                if el.get("type") != "image":
                    _text(el, f"{where}.elements[{j}]", 3000)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                raise BlockError(f"{where}.elements: must have 1 to 25 items")
            for j, el in enumerate(elements):
                _element(el, f"{where}.elements[{j}]")
        elif kind == "divider":
            pass
        elif kind == "input":
            _text(block.get("label"), f"{where}.label", 2000, ("plain_text",))
            _element(block.get("element"), f"{where}.element")
            if "hint" in block:
                _text(block["hint"], f"{where}.hint", 2000, ("plain_text",))
        else:
            raise BlockError(f"{where}.type: unsupported block type {kind!r}")


def validate_view(view: Any) -> None:
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise BlockError("view.type: must be modal or home")
    if view["type"] == "modal":
        _text(view.get("title"), "view.title", 24, ("plain_text",))
        for button in ("submit", "close"):
            if button in view:
                _text(view[button], f"view.{button}", 24, ("plain_text",))
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise BlockError("view.private_metadata: must be less than 3001 characters")
    _id(view.get("callback_id"), "view.callback_id")
    validate_blocks(view.get("blocks", []), VIEW_BLOCKS)


_ENTITY = re.compile(r"<([^<>]+)>")


def render_mrkdwn(text: str) -> tuple[str, list[str]]:
    """What a person sees of mrkdwn text, and the entities Slack makes of it (pings and links).

    Entities: `user:U123`, `broadcast:channel`, `channel:C123`, `link:https://...`.
    """
    entities: list[str] = []

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            entities.append(f"user:{target[1:]}")
            return "@" + (label or target[1:])
        if target.startswith("!"):
            name = target[1:].split("^")[0]
            if name.startswith("subteam"):
                entities.append(f"usergroup:{name}")
            elif name in ("here", "channel", "everyone"):
                entities.append(f"broadcast:{name}")
            elif name.startswith("date"):
                return label or inner
            return "@" + name
        if target.startswith("#"):
            entities.append(f"channel:{target[1:]}")
            return "#" + (label or target[1:])
        entities.append(f"link:{target}")
        return label or target

    shown = _ENTITY.sub(replace, text)
    shown = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return shown, entities


def message_texts(text: str, blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn/plain string a message shows (its blocks, or its text when it has none)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                out.append(("P:" if node["type"] == "plain_text" else "M:") + node["text"])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return out or ["M:" + text]


def seen(text: str, blocks: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The whole message as a person reads it, and every ping or link in it."""
    shown: list[str] = []
    entities: list[str] = []
    for item in message_texts(text, blocks):
        kind, body = item[:2], item[2:]
        if kind == "P:":
            shown.append(body)
        else:
            visible, found = render_mrkdwn(body)
            shown.append(visible)
            entities.extend(found)
    return "\n".join(shown), entities
