"""Declaring from Slack: the "Start incident" shortcut, `/incident start [title]` and their modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.errors import IncidentBotError, InvalidInput
from bot.ids import BlockId, CallbackId, ModalMeta
from bot.naming import escape
from bot.service import IncidentService
from handlers import resolve
from handlers.reply import explain, tell

log = logging.getLogger(__name__)

USAGE = (
    "*Incident bot*\n"
    "• `/incident start [title]`: declare an incident (a form asks for the title and the level)\n"
    "• `/incident resolve [INC-42]`: resolve an incident (or type `resolve INC-42` in its channel)\n"
    "• `followup <text>` in an incident channel: record a follow-up item\n"
    "• `/incident help`: this message\n"
    "Anyone can declare; the declaration is posted publicly with a Confirm button."
)


def _view_values(view: dict[str, Any]) -> tuple[object, object, list[str]]:
    """Title, level and services from a submitted modal; anything missing or malformed comes out empty."""
    values = (view.get("state") or {}).get("values") or {}
    title = ((values.get(BlockId.TITLE) or {}).get(BlockId.TITLE) or {}).get("value")
    option = ((values.get(BlockId.LEVEL) or {}).get(BlockId.LEVEL) or {}).get("selected_option") or {}
    chosen = ((values.get(BlockId.SERVICES) or {}).get(BlockId.SERVICES) or {}).get("selected_options") or []
    services = [str(o.get("value")) for o in chosen if isinstance(o, dict)]
    return title, option.get("value"), services


async def _open(
    client: AsyncWebClient, service: IncidentService, trigger_id: str, title: str, channel: str = ""
) -> None:
    plan = service.plan()
    await client.views_open(
        trigger_id=trigger_id, view=blocks.start_modal(plan, title, ModalMeta(channel=channel, plan=plan.name))
    )


def register(app: AsyncApp) -> None:
    @app.shortcut(CallbackId.START_SHORTCUT)
    async def on_shortcut(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        await _open(client, context["service"], body["trigger_id"], "")

    @app.command("/incident")
    async def on_command(ack: Any, command: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        text = str(command.get("text") or "").strip()
        verb, _, rest = text.partition(" ")
        if verb.lower() == "resolve":
            await ack()
            problem = await resolve.slash(command, rest, client, context["resolution"])
            if problem:
                await tell(client, str(command.get("channel_id") or "") or None, command["user_id"], problem)
            return
        if verb.lower() != "start":
            await ack(
                text=USAGE if verb.lower() in ("", "help") else f"Unknown command `{escape(verb[:30])}`.\n{USAGE}"
            )
            return
        await ack()
        await _open(
            client, context["service"], command["trigger_id"], rest.strip(), str(command.get("channel_id") or "")
        )

    @app.view(CallbackId.START_MODAL)
    async def on_submit(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        service: IncidentService = context["service"]
        user = body["user"]["id"]
        title, level, services = _view_values(view)
        meta = ModalMeta.unpack(view.get("private_metadata"))
        try:
            service.validate(title, level, meta.plan or None)
            service.validate_services(services, service.plan(meta.plan or None))
        except InvalidInput as exc:
            text = str(exc).lower()
            block = BlockId.SERVICES if "service" in text else BlockId.LEVEL if "level" in text else BlockId.TITLE
            await ack(response_action="errors", errors={block: str(exc)})
            return
        await ack()
        try:
            incident = await service.declare(
                title=title, level=level, user=user, source="modal", plan_name=meta.plan or None, services=services
            )
        except IncidentBotError as exc:
            log.warning("event=declare_failed source=modal error=%r", str(exc))
            await tell(client, meta.channel or None, user, explain(exc))
            return
        if meta.channel:
            await tell(
                client,
                meta.channel,
                user,
                f"{incident.key} is declared in <#{incident.announce_channel}>; "
                "it needs a Confirm there before anything is created.",
            )
