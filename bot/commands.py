"""The message commands people type: `resolve [INC-42] [internal|third-party] [summary]`, `followup <text>`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.models import Origin
from storage.sqlite import parse_key

_RESOLVE = re.compile(r"^\s*(?:<@[UW][A-Z0-9]+>\s*)?resolve(?:\s+(?P<rest>.*))?$", re.IGNORECASE | re.DOTALL)
_FOLLOWUP = re.compile(r"^\s*(?:<@[UW][A-Z0-9]+>\s*)?follow-?up\b[\s:]*(?P<text>.*)$", re.IGNORECASE | re.DOTALL)
_KEYISH = re.compile(r"^(inc\b|inc-|#?\d)", re.IGNORECASE)
USAGE = "Use `resolve INC-42`, optionally followed by `internal` or `third-party` and a short summary."
SUMMARY_MAX = 2000


@dataclass(frozen=True)
class Resolve:
    key: str | None = None
    origin: Origin | None = None
    summary: str | None = None


@dataclass(frozen=True)
class Followup:
    text: str


def _origin_prefix(words: list[str]) -> tuple[Origin | None, int]:
    """An origin at the start of `words` (one word, or `third party`): (origin, words used)."""
    if (
        len(words) >= 2
        and Origin.parse(f"{words[0]}-{words[1]}") is Origin.THIRD_PARTY
        and words[0].lower() in ("third", "3rd")
    ):
        return Origin.THIRD_PARTY, 2
    if words:
        origin = Origin.parse(words[0].rstrip(":,."))
        if origin is not None:
            return origin, 1
    return None, 0


def clean_summary(text: str | None) -> str | None:
    if text is None:
        return None
    lines = ["".join(ch for ch in line if ch.isprintable() or ch == "\t").strip() for line in text.splitlines()]
    summary = "\n".join(line for line in lines if line).strip(" :-")
    if len(summary) > SUMMARY_MAX:
        raise InvalidInput(f"The summary is {len(summary)} characters long; keep it to {SUMMARY_MAX}.")
    return summary or None


def parse(text: str) -> Resolve | Followup | None:
    """The command in a message, None when the message is not one. Raises InvalidInput when malformed."""
    match = _RESOLVE.match(text)
    if match:
        rest = (match.group("rest") or "").strip()
        words = rest.split()
        key = None
        if words and _KEYISH.match(words[0]):
            candidate = words[0].rstrip(":,.")
            if parse_key(candidate) is None:
                raise InvalidInput(f"`{candidate[:30]}` is not an incident key. {USAGE}")
            key = candidate.upper()
            words = words[1:]
        origin, used = _origin_prefix(words)
        words = words[used:]
        if words and key is None and origin is None:
            raise InvalidInput(f"I did not understand `{' '.join(words)[:40]}`. {USAGE}")
        summary = clean_summary(rest.split(None, (1 if key else 0) + used)[-1]) if words else None
        return Resolve(key, origin, summary)
    match = _FOLLOWUP.match(text)
    if match:
        body = " ".join(match.group("text").split())
        if not body:
            raise InvalidInput("Say what to follow up: `followup Add an alert on queue depth`.")
        if len(body) > 1000:
            raise InvalidInput(f"The follow-up is {len(body)} characters long; keep it to 1000.")
        return Followup(body)
    return None
