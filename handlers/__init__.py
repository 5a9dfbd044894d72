"""Slack listeners: parse the payload, ack within 3 s, call the service, render for the person."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.home import Home
from bot.resolution import Resolution
from bot.service import IncidentService
from handlers import buttons, errors, events, followups, home, resolve, start, workflow
from handlers.background import Registrar


def register_all(app: AsyncApp, service: IncidentService, resolution: Resolution, home_tab: Home) -> None:
    """Every listener of the bot, in one place; the services reach them through `context`."""

    async def inject(context: Any, next: Any) -> None:
        context["service"] = service
        context["resolution"] = resolution
        context["home"] = home_tab
        await next()

    app.middleware(inject)
    fast = Registrar(app)
    for module in (start, workflow, resolve, buttons, events, followups, home, errors):
        module.register(fast)  # type: ignore[arg-type]
