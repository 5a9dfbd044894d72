"""The Slack start steps: create_channel, invite_responders, post_intro, announce. All idempotent."""

from __future__ import annotations

import logging
from typing import Any

from actions.base import StepContext
from bot import blocks
from bot.errors import IntegrationError
from bot.naming import channel_name

log = logging.getLogger(__name__)
MAX_NAME_TRIES = 20
INTRO_MARK = "incident_intro"
ANNOUNCE_MARK = "incident_announce"


def _mark(kind: str, key: str) -> dict[str, Any]:
    return {"event_type": kind, "event_payload": {"key": key}}


async def _ours(ctx: StepContext, name: str) -> dict[str, Any] | None:
    """A live channel with this name that this bot created for this incident (by an earlier attempt)."""
    found = await ctx.slack.find_channel(name)
    if not found or found.get("is_archived") or found.get("creator") != ctx.slack.bot_user_id:
        return None
    topic = str((found.get("topic") or {}).get("value") or "")
    return found if not topic or topic.startswith(ctx.incident.key) else None


async def create_channel(ctx: StepContext) -> dict[str, Any]:
    incident = ctx.incident
    if incident.channel_id and incident.channel_name:
        return {"channel_id": incident.channel_id, "name": incident.channel_name}
    resumed = ctx.record.attempts > 1 or bool(ctx.record.result.get("name"))
    for attempt in range(1, MAX_NAME_TRIES + 1):
        name = channel_name(ctx.plan.channel_prefix, incident.id, incident.title, attempt)
        await ctx.save(name=name)
        try:
            channel = await ctx.slack.create_channel(name)
        except IntegrationError as exc:
            if exc.code != "name_taken":
                raise
            adopted = await _ours(ctx, name) if resumed else None
            if adopted is None:
                continue  # an archived or foreign channel keeps this name: try the next suffix
            channel = adopted
        channel_id = str(channel["id"])
        await ctx.store.set_channel(incident.id, channel_id, name)
        level = ctx.plan.levels.get(incident.level)
        level_name = f"{incident.level} {level.name}" if level else incident.level
        await ctx.slack.set_topic(channel_id, f"{incident.key} · {level_name} · {incident.title}")
        return {"channel_id": channel_id, "name": name}
    raise IntegrationError("slack", "name_taken", f"{MAX_NAME_TRIES} names tried")


async def invite_responders(ctx: StepContext) -> dict[str, Any]:
    incident = ctx.incident
    channel = ctx.results["create_channel"]["channel_id"]
    users, problems = await ctx.slack.people(ctx.plan.responders_for(incident.level))
    users.extend(u for u in (incident.declared_by, incident.confirmed_by) if u)
    unique = [u for u in dict.fromkeys(users) if u and u != ctx.slack.bot_user_id]
    errors = await ctx.slack.invite(channel, unique) if unique else []
    problems.extend(f"{e['user']}: {e['error']}" for e in errors)
    if problems:
        raise IntegrationError("slack", "unknown_responders", "; ".join(problems))
    return {"invited": len(unique)}


async def post_intro(ctx: StepContext) -> dict[str, Any]:
    incident = ctx.incident
    channel = ctx.results["create_channel"]["channel_id"]
    ts = ctx.record.result.get("ts")
    if not ts and ctx.record.attempts > 1:
        ts = await ctx.slack.find_marked(channel, INTRO_MARK, incident.key)
    if not ts:
        steps = await ctx.store.list_steps(incident.id, ctx.record.phase)
        link = None
        if incident.announce_channel and incident.declaration_ts:
            link = await ctx.slack.permalink(incident.announce_channel, incident.declaration_ts)
        ts = await ctx.slack.post(
            channel,
            blocks.headline(incident),
            blocks.intro(incident, ctx.plan, steps, link),
            metadata=_mark(INTRO_MARK, incident.key),
        )
    return {"ts": ts, "channel": channel}


async def announce(ctx: StepContext) -> dict[str, Any]:
    """Company-wide visibility: a reply under the declaration and its update with the channel link."""
    incident = ctx.incident
    channel = incident.announce_channel
    parent = incident.declaration_ts
    if not channel:
        raise IntegrationError("slack", "no_announce_channel")
    ts = ctx.record.result.get("ts")
    if not ts and ctx.record.attempts > 1 and parent:
        ts = await ctx.slack.find_marked(channel, ANNOUNCE_MARK, incident.key, thread_ts=parent)
    if not ts:
        steps = await ctx.store.list_steps(incident.id, ctx.record.phase)
        text, body = blocks.announcement(incident, steps)
        ts = await ctx.slack.post(channel, text, body, thread_ts=parent, metadata=_mark(ANNOUNCE_MARK, incident.key))
    await ctx.refresh()
    return {"ts": ts, "channel": channel}


SLACK_STEPS: dict[str, Any] = {
    "create_channel": create_channel,
    "invite_responders": invite_responders,
    "post_intro": post_intro,
    "announce": announce,
}
