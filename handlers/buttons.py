"""The buttons of the bot's messages: Confirm, Cancel and Retry."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import IncidentBotError
from bot.ids import ActionId, IncidentRef
from bot.service import IncidentService
from handlers.reply import explain, tell

log = logging.getLogger(__name__)
Act = Callable[[IncidentService, IncidentRef, str], Awaitable[str | None]]


async def _confirm(service: IncidentService, ref: IncidentRef, user: str) -> str | None:
    await service.confirm(ref.incident_id, user)
    service.refresh_soon(ref.incident_id)  # "confirmed by" shows at once, with the first links if they are quick
    return None


async def _cancel(service: IncidentService, ref: IncidentRef, user: str) -> str | None:
    await service.cancel(ref.incident_id, user)
    return None


async def _retry(service: IncidentService, ref: IncidentRef, user: str) -> str | None:
    names = await service.retry(ref.incident_id, user, ref.phase or "on_start")
    return None if names else "Nothing to retry: every step is done or already running."


def _listener(act: Act) -> Callable[..., Awaitable[None]]:
    async def listener(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        value = (body.get("actions") or [{}])[0].get("value")
        try:
            answer = await act(context["service"], IncidentRef.unpack(value), user)
        except IncidentBotError as exc:
            answer = explain(exc)
        if answer:
            await tell(client, channel, user, answer)

    return listener


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM)(_listener(_confirm))
    app.action(ActionId.CANCEL)(_listener(_cancel))
    app.action(ActionId.RETRY)(_listener(_retry))
