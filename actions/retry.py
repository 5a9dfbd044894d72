"""Backoff for transient failures: exponential with jitter, honouring the service's Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base: float = 1.0
    cap: float = 30.0
    timeout: float = 180.0
    """Per attempt, in seconds: generous, since an attempt includes waiting out Slack's rate limits."""

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        backoff = min(self.cap, self.base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
        if retry_after is not None:
            return max(backoff, min(retry_after, self.cap * 4))
        return backoff
