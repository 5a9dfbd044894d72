"""The buttons of the bot's messages: Confirm, Cancel and Retry."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import IncidentBotError, IntegrationError
from bot.ids import ActionId, IncidentRef
from bot.service import IncidentService
from handlers.reply import explain, tell

log = logging.getLogger(__name__)


def _who(body: dict[str, Any]) -> tuple[str, str | None, str]:
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    value = (body.get("actions") or [{}])[0].get("value")
    return user, channel, value


def register(app: AsyncApp) -> None:
    @app.action(ActionId.CONFIRM)
    async def on_confirm(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        user, channel, value = _who(body)
        service: IncidentService = context["service"]
        try:
            incident = await service.confirm(IncidentRef.unpack(value).incident_id, user)
        except IncidentBotError as exc:
            await tell(client, channel, user, explain(exc))
            return
        try:
            await service.refresh(incident.id)
        except IntegrationError as exc:
            log.warning("event=refresh_failed incident=%s error=%r", incident.key, str(exc))

    @app.action(ActionId.CANCEL)
    async def on_cancel(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        user, channel, value = _who(body)
        service: IncidentService = context["service"]
        try:
            await service.cancel(IncidentRef.unpack(value).incident_id, user)
        except IncidentBotError as exc:
            await tell(client, channel, user, explain(exc))

    @app.action(ActionId.RETRY)
    async def on_retry(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        user, channel, value = _who(body)
        service: IncidentService = context["service"]
        try:
            names = await service.retry(IncidentRef.unpack(value).incident_id, user)
        except IncidentBotError as exc:
            await tell(client, channel, user, explain(exc))
            return
        if not names:
            await tell(client, channel, user, "Nothing to retry: every step is done or already running.")
