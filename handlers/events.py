"""Events the bot receives but has nothing to do with yet (its own messages, channel chatter)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    @app.event("message")
    async def on_message() -> None:
        # Resolution commands and channel activity arrive here in later versions.
        return None
