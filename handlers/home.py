"""The App Home tab: published when opened; its Start and Resolve buttons open the usual modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.home import Home
from bot.ids import ModalMeta
from bot.resolution import Resolution


def register(app: AsyncApp) -> None:
    @app.event("app_home_opened")
    async def on_opened(event: dict[str, Any], context: Any) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            home: Home = context["home"]
            await home.opened(str(event["user"]))

    @app.action("home_start")
    async def on_start(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        plan = context["service"].plan()
        await client.views_open(
            trigger_id=body["trigger_id"], view=blocks.start_modal(plan, "", ModalMeta(plan=plan.name))
        )

    @app.action("home_resolve")
    async def on_resolve(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        resolution: Resolution = context["resolution"]
        active = await resolution.active()
        if not active:
            view = blocks.notice_modal("Resolve an incident", "No incident is active: there is nothing to resolve.")
        else:
            fixed = active[0] if len(active) == 1 else None
            view = blocks.resolve_modal(active, fixed, ModalMeta(incident_id=fixed.id if fixed else 0))
        await client.views_open(trigger_id=body["trigger_id"], view=view)
