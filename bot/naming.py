"""Pure text rules: incident titles, channel names, and escaping user text for Slack mrkdwn."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

from bot.errors import InvalidInput

TITLE_MAX = 150
CHANNEL_MAX = 80
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)


def clean_title(raw: object) -> str:
    """A title as people typed it, made safe to store: one line, no control characters, 1-150 chars."""
    if not isinstance(raw, str):
        raise InvalidInput("The title must be text.")
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in raw)
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("The title is empty: say in a few words what is broken.")
    if len(text) > TITLE_MAX:
        raise InvalidInput(f"The title is {len(text)} characters long; keep it to {TITLE_MAX}.")
    return text


def slugify(title: str) -> str:
    """`Café: payments 🔥 DOWN!` -> `cafe-payments-down` (a-z, 0-9 and -, no edge hyphens)."""
    kept = []
    for ch in unicodedata.normalize("NFKC", title):
        category = unicodedata.category(ch)
        if category[0] in "LN":
            kept.append(ch)
        elif category in ("Sk", "Mn") or ch in "'’":  # modifiers and apostrophes join words
            continue
        elif category == "So" or ch in "\u200d\ufe0f":  # emoji and pictographs vanish
            continue
        else:  # spaces and punctuation separate words
            kept.append(" ")
    ascii_text = anyascii("".join(kept)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def channel_name(prefix: str, number: int, title: str, attempt: int = 1) -> str:
    """`<prefix>-<number>-<slug>` within Slack's 80 characters; attempt 2+ adds `-2`, `-3`, ..."""
    head = f"{prefix}-{number}"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = CHANNEL_MAX - len(head) - len(suffix) - 1
    slug = slugify(title)[: max(room, 0)].rstrip("-")
    name = f"{head}-{slug}" if slug else head
    return (name + suffix)[:CHANNEL_MAX]


def escape(text: str) -> str:
    """User text for mrkdwn: no mention, broadcast or link can come out of it, only visible text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A bare @here is not a ping over the API, but a word joiner makes sure it never becomes one.
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)


def plain(text: str, limit: int) -> str:
    """Text for a plain_text field, cut to Slack's `limit` with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
