"""Structured logs (one key=value line per event) that never contain a token."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

_TOKEN = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")


class Redact(logging.Filter):
    """Replaces Slack tokens, and any secret given explicitly, with [redacted]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = _TOKEN.sub("[redacted]", message)
        for secret in self.secrets:
            clean = clean.replace(secret, "[redacted]")
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = _TOKEN.sub("[redacted]", str(record.exc_info[1]))
            if text != str(record.exc_info[1]):
                record.exc_info = None
                record.msg = f"{record.msg} exception={text!r}"
        return True


def setup(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z"
        )
    )
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk logs request headers (with the token) at DEBUG, and HTTP libraries may log bodies
    # (OAuth answers carry access tokens): never let that through, whatever LOG_LEVEL says.
    for name in ("slack_sdk", "slack_bolt", "aiohttp", "asyncio", "httpx", "httpcore", "urllib3", "requests", "jira"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
