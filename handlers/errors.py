"""The last resort: an error no listener handled is logged and explained to the person."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.reply import explain, tell

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.error
    async def on_error(error: Exception, body: dict[str, Any], client: Any) -> None:
        log.error("event=listener_failed type=%s error=%r", body.get("type"), error, exc_info=error)
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        if isinstance(user, str) and user:
            await tell(client, channel if isinstance(channel, str) else None, user, explain(error))
