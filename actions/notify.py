"""The `notify` step: alert the channels and people a level names (management during a P1)."""

from __future__ import annotations

from typing import Any

from actions.base import StepContext
from bot import blocks
from bot.errors import IntegrationError


async def notify(ctx: StepContext) -> dict[str, Any]:
    incident = ctx.incident
    level = ctx.plan.levels.get(incident.level)
    targets = level.notify if level is not None else None
    if targets is None or targets.empty:
        return {"messages": []}
    sent: list[dict[str, str]] = list(ctx.record.result.get("messages", []))
    done = {m["target"] for m in sent}
    problems: list[str] = []
    recipients: list[str] = []
    for channel in targets.channels:
        try:
            channel_id = await ctx.slack.resolve_channel(channel)
            await ctx.slack.join(channel_id)
        except IntegrationError as exc:
            problems.append(f"channel {channel}: {exc.code}")
            continue
        recipients.append(channel_id)
    people, missing = await ctx.slack.people(targets)
    recipients.extend(people)
    problems.extend(missing)
    steps = await ctx.store.list_steps(incident.id, ctx.record.phase)
    text, body = blocks.alert(incident, ctx.plan, steps)
    for target in dict.fromkeys(recipients):
        if target in done or target == ctx.slack.bot_user_id:
            continue
        try:
            channel_id, ts = await ctx.slack.post_to(target, text, body)
        except IntegrationError as exc:
            if exc.code in (
                "channel_not_found",
                "user_not_found",
                "not_in_channel",
                "is_archived",
                "cannot_dm_bot",
                "user_disabled",
            ):
                problems.append(f"{target}: {exc.code}")
                continue
            raise
        sent.append({"target": target, "channel": channel_id, "ts": ts})
        await ctx.save(messages=sent)
    if problems:
        raise IntegrationError("slack", "notify_incomplete", "; ".join(problems))
    return {"messages": sent}
