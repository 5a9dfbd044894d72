"""Resolving from Slack: shortcut, `/incident resolve`, Resolve buttons, the modal, the origin buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.errors import IncidentBotError, InvalidInput
from bot.ids import ActionId, BlockId, CallbackId, IncidentRef, ModalMeta
from bot.models import Incident, Origin
from bot.resolution import Resolution
from handlers.reply import explain, tell

log = logging.getLogger(__name__)


async def open_for(
    client: AsyncWebClient,
    resolution: Resolution,
    trigger_id: str,
    *,
    key: str | None = None,
    channel: str | None = None,
    incident_id: int | None = None,
) -> str | None:
    """Open the resolve modal for the incident meant; or say why not (returned, for an ephemeral answer)."""
    try:
        if incident_id is not None:
            picked: Incident | list[Incident] = await resolution.get(incident_id)
        else:
            picked = await resolution.pick(key, channel)
        if isinstance(picked, Incident):
            resolution.refuse(picked)
    except IncidentBotError as exc:
        return explain(exc)
    if isinstance(picked, list):
        view = blocks.resolve_modal(picked, None, ModalMeta(channel=channel or ""))
    else:
        view = blocks.resolve_modal([], picked, ModalMeta(channel=channel or "", incident_id=picked.id))
    await client.views_open(trigger_id=trigger_id, view=view)
    return None


def _values(view: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    values = (view.get("state") or {}).get("values") or {}

    def get(block: str, key: str) -> Any:
        return ((values.get(block) or {}).get(block) or {}).get(key)

    incident = (get(BlockId.INCIDENT, "selected_option") or {}).get("value")
    origin = (get(BlockId.ORIGIN, "selected_option") or {}).get("value")
    return incident, origin, get(BlockId.SUMMARY, "value")


async def slash(command: dict[str, Any], rest: str, client: AsyncWebClient, resolution: Resolution) -> str | None:
    """`/incident resolve [INC-42]`: a modal, or the list of active incidents, or why not."""
    key = rest.split()[0] if rest.split() else None
    channel = str(command.get("channel_id") or "") or None
    if key is None and await resolution.of_channel(channel) is None:
        try:
            picked = await resolution.pick(None)
        except IncidentBotError as exc:
            return explain(exc)
        if isinstance(picked, list):
            return (
                blocks.resolve_list(picked, resolution.core.clock.now())[0]
                + " "
                + " ".join(f"`resolve {i.key}`" for i in picked[:40])
            )
    return await open_for(client, resolution, command["trigger_id"], key=key, channel=channel)


def register(app: AsyncApp) -> None:
    @app.shortcut(CallbackId.RESOLVE_SHORTCUT)
    async def on_shortcut(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        resolution: Resolution = context["resolution"]
        active = await resolution.active()
        if not active:
            await client.views_open(
                trigger_id=body["trigger_id"],
                view=blocks.notice_modal("Resolve an incident", "No incident is active: there is nothing to resolve."),
            )
            return
        fixed = active[0] if len(active) == 1 else None
        meta = ModalMeta(incident_id=fixed.id if fixed else 0)
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.resolve_modal(active, fixed, meta))

    @app.action(ActionId.RESOLVE)
    async def on_button(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            ref = IncidentRef.unpack((body.get("actions") or [{}])[0].get("value"))
        except InvalidInput as exc:
            await tell(client, channel, user, str(exc))
            return
        problem = await open_for(
            client, context["resolution"], body["trigger_id"], channel=channel, incident_id=ref.incident_id
        )
        if problem:
            await tell(client, channel, user, problem)

    @app.view(CallbackId.RESOLVE_MODAL)
    async def on_submit(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        resolution: Resolution = context["resolution"]
        user = body["user"]["id"]
        meta = ModalMeta.unpack(view.get("private_metadata"))
        chosen, origin_text, summary = _values(view)
        incident_id = meta.incident_id or (int(chosen) if chosen and chosen.isdigit() and len(chosen) < 12 else 0)
        origin = Origin.parse(origin_text) if origin_text else None
        if not incident_id:
            await ack(response_action="errors", errors={BlockId.INCIDENT: "Choose the incident to resolve."})
            return
        if origin_text and origin is None:
            await ack(response_action="errors", errors={BlockId.ORIGIN: "Choose Internal or Third-party provider."})
            return
        try:
            resolution.refuse(await resolution.get(incident_id))
            from bot.commands import clean_summary

            clean_summary(summary)
        except IncidentBotError as exc:
            block = (
                BlockId.SUMMARY
                if "summary" in str(exc)
                else (BlockId.INCIDENT if not meta.incident_id else BlockId.SUMMARY)
            )
            await ack(response_action="errors", errors={block: explain(exc)})
            return
        await ack()
        try:
            await resolution.resolve(incident_id, user, origin=origin, summary=summary, source="modal")
        except IncidentBotError as exc:
            await tell(client, meta.channel or None, user, explain(exc))

    async def on_origin(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any, origin: Origin) -> None:
        await ack()
        resolution: Resolution = context["resolution"]
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id")
        ts = (body.get("container") or {}).get("message_ts")
        try:
            ref = IncidentRef.unpack((body.get("actions") or [{}])[0].get("value"))
            incident = await resolution.set_origin(ref.incident_id, origin, user)
        except IncidentBotError as exc:
            await tell(client, channel, user, explain(exc))
            return
        if channel and ts:
            text, answered = blocks.origin_answered(incident, user)
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=answered)

    @app.action(ActionId.ORIGIN_INTERNAL)
    async def on_internal(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await on_origin(ack, body, client, context, Origin.INTERNAL)

    @app.action(ActionId.ORIGIN_THIRD_PARTY)
    async def on_third_party(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await on_origin(ack, body, client, context, Origin.THIRD_PARTY)

    @app.function(CallbackId.RESOLVE_FUNCTION)
    async def on_function(inputs: dict[str, Any], complete: Any, fail: Any, context: Any) -> None:
        """Workflow step: resolves at once (the one active incident, or the key given)."""
        resolution: Resolution = context["resolution"]
        user = inputs.get("resolver")
        if not isinstance(user, str) or not user:
            await fail("The workflow did not say who resolves (input `resolver`).")
            return
        origin_text = inputs.get("origin")
        origin = Origin.parse(origin_text) if origin_text else None
        if origin_text and origin is None:
            await fail("The origin must be `internal` or `third-party`.")
            return
        try:
            picked = await resolution.pick(str(inputs.get("incident") or "").strip() or None)
            if isinstance(picked, list):
                keys = ", ".join(i.key for i in picked)
                await fail(
                    f"Several incidents are active ({keys}): run the workflow again with the incident "
                    f"key, or type `resolve {picked[0].key}` in the incident's channel."
                )
                return
            resolved = await resolution.resolve(
                picked.id, user, origin=origin, summary=inputs.get("summary"), source="workflow"
            )
        except IncidentBotError as exc:
            await fail(explain(exc))
            return
        duration = blocks.human(blocks.metrics(resolved).duration)
        await complete({"incident_key": resolved.key, "duration": duration})
