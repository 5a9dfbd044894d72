"""Slack's Web API rate limits, enforced by the emulator when asked (answering 429 with Retry-After).

Tiers from Slack's rate-limit documentation (requests per minute, per method, per workspace):
Tier 1: 1+, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+. "Special" methods have their own rules;
chat.postMessage allows about one message per second per channel (short bursts tolerated).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}

# The tier of each method the bot calls, as listed on each method's page of Slack's documentation.
METHOD_TIER = {
    "auth.test": 4,  # "Special" in the docs, generous
    "apps.connections.open": 1,
    "bookmarks.add": 2,
    "bookmarks.list": 3,
    "chat.getPermalink": 4,  # "Special"
    "chat.postEphemeral": 4,  # "Special": per channel, generous
    "chat.update": 3,
    "conversations.archive": 2,
    "conversations.create": 2,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.invite": 3,
    "conversations.join": 3,
    "conversations.list": 2,
    "conversations.replies": 3,
    "conversations.setTopic": 2,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "functions.completeError": 4,
    "functions.completeSuccess": 4,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "users.info": 4,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.publish": 4,
    "views.update": 4,
}
POST_MESSAGE_PER_CHANNEL_PER_SECOND = 1.0
POST_MESSAGE_BURST = 3
WINDOW = 60.0


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, scale: float = 1.0) -> None:
        """`scale` < 1 shrinks every window (e.g. 0.1: the same counts per 6 s) for quick trials."""
        self._clock = clock
        self.scale = scale
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, method: str, channel: str | None = None) -> int | None:
        """Seconds to wait when this call is over the limit (the call is then not counted); else None."""
        now = self._clock()
        if method == "chat.postMessage":
            key, window, allowed = (
                f"{method}:{channel}",
                POST_MESSAGE_BURST / POST_MESSAGE_PER_CHANNEL_PER_SECOND,
                POST_MESSAGE_BURST,
            )
        else:
            key, window, allowed = method, WINDOW, TIER_PER_MINUTE[METHOD_TIER.get(method, 3)]
        window *= self.scale
        calls = self._calls[key]
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= allowed:
            return max(1, math.ceil(calls[0] + window - now))
        calls.append(now)
        return None
