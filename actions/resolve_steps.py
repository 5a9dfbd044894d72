"""The resolution steps: update_jira_ticket and create_postmortem (Confluence page or Markdown file)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from actions import postmortem, transcript
from actions.base import NotConfigured, StepContext
from actions.jira import wiki_escape
from bot.errors import IntegrationError
from bot.metrics import human, label, metrics, utc
from bot.models import Phase, StepStatus

log = logging.getLogger(__name__)
TRANSCRIPT_MEDIA = "text/plain; charset=utf-8"


async def _ticket(ctx: StepContext) -> str | None:
    """The incident's Jira ticket: from the start step, or found by its label."""
    for step in await ctx.store.list_steps(ctx.incident.id, Phase.START):
        if step.name == "create_jira_ticket" and step.status == StepStatus.OK and step.result.get("key"):
            return str(step.result["key"])
    return await ctx.integrations.jira.find(ctx.incident.key) if ctx.integrations.jira else None


async def update_jira_ticket(ctx: StepContext) -> dict[str, Any]:
    jira = ctx.integrations.jira
    if jira is None:
        raise NotConfigured(ctx.integrations.jira_problem)
    incident = ctx.incident
    key = await _ticket(ctx)
    if key is None:
        raise IntegrationError("jira", "no_ticket", f"no Jira ticket is labelled {incident.key}")
    m = metrics(incident)
    origin = incident.origin.value if incident.origin else "unknown"
    labels = [label(m.duration), f"origin-{origin}"]
    fields: dict[str, Any] = {}
    config = ctx.plan.jira
    if config.fields.duration and m.duration is not None:
        fields[config.fields.duration] = round(m.duration.total_seconds() / 60, 1)
    if config.fields.origin and incident.origin:
        fields[config.fields.origin] = incident.origin.label
    previous = [str(x) for x in ctx.record.result.get("labels", [])]
    update = {"labels": [{"remove": x} for x in previous if x not in labels] + [{"add": x} for x in labels]}
    await jira.edit(key, fields, update)
    if not ctx.record.result.get("commented_origin") == origin:
        body = "\n".join(
            [
                f"h3. {incident.key} resolved",
                f"*Summary:* {wiki_escape(incident.summary or '(none given)')}",
                f"*Origin:* {incident.origin.label if incident.origin else 'not given yet'}",
                f"*Declared:* {utc(m.declared_at)} | *Confirmed:* {utc(m.confirmed_at)}"
                f" | *Resolved:* {utc(m.resolved_at)}",
                f"*Time to confirm:* {human(m.time_to_confirm)} | *Duration:* {human(m.duration)}",
            ]
        )
        await jira.comment(key, body)
        await ctx.save(commented_origin=origin)
    transitioned = ctx.record.result.get("transitioned", False)
    if config.resolved_status and not transitioned:
        transitioned = await jira.transition_to(key, config.resolved_status)
        if not transitioned:
            raise IntegrationError("jira", "no_transition", f"{key} has no transition to {config.resolved_status!r}")
    return {
        "key": key,
        "labels": labels,
        "commented_origin": origin,
        "transitioned": transitioned,
        "url": jira.url_of(key),
        "label": "Jira",
        "link_text": key,
    }


async def build(ctx: StepContext, transcript_name: str | None, tail: list[str]) -> postmortem.Postmortem:
    incident = ctx.incident
    store = ctx.store
    timeline = await store.timeline(incident.id)
    followups = await store.followups(incident.id)
    names: dict[str, str] = {}
    for user in {e.actor for e in timeline if e.actor} | {f.created_by for f in followups}:
        names[user] = await ctx.slack.user_name(user)
    links = []
    if incident.channel_id:
        links.append(
            (
                f"Slack channel #{incident.channel_name or incident.channel_id}",
                ctx.slack.channel_url(incident.channel_id),
            )
        )
    for step in await store.list_steps(incident.id, Phase.START):
        if step.status == StepStatus.OK and step.result.get("url"):
            links.append((str(step.result.get("label") or step.name), str(step.result["url"])))
    level = ctx.plan.levels.get(incident.level)
    return postmortem.Postmortem(
        incident,
        level.name if level else "",
        metrics(incident),
        timeline,
        followups,
        links,
        names,
        transcript_name,
        tail,
    )


async def create_postmortem(ctx: StepContext) -> dict[str, Any]:
    incident = ctx.incident
    lines = await transcript.fetch(ctx.slack, incident.channel_id) if incident.channel_id else []
    text = transcript.render(lines, f"{incident.key}: {incident.title} (#{incident.channel_name or '-'})")
    filename = f"{incident.key}-transcript.txt"
    tail = text.splitlines()[-(postmortem.TRANSCRIPT_EXCERPT + 2) : -2]
    confluence = ctx.integrations.confluence
    if confluence is None:
        return await _markdown(ctx, await build(ctx, filename if lines else None, tail), text, filename)
    doc = await build(ctx, filename, tail)
    body = postmortem.storage(doc, ctx.plan.postmortem.text or postmortem.DEFAULT_TEMPLATE)
    page_id = ctx.record.result.get("page_id")
    page = await confluence.get_page(page_id) if page_id else await confluence.find_page(doc.title)
    if page is None:
        page = await confluence.create_page(doc.title, body)
    else:
        page = await confluence.update_page(str(page["id"]), doc.title, body, int(page["version"]["number"]))
    await ctx.save(page_id=str(page["id"]))
    await confluence.attach(str(page["id"]), filename, text.encode("utf-8"), TRANSCRIPT_MEDIA)
    url = confluence.page_url(page)
    await ctx.store.set_postmortem(incident.id, url)
    if not ctx.record.result.get("ticket_linked"):
        await _link_ticket(ctx, doc.title, url)
    return {
        "page_id": str(page["id"]),
        "url": url,
        "label": "Post-mortem",
        "link_text": doc.title,
        "ticket_linked": True,
    }


async def _markdown(ctx: StepContext, doc: postmortem.Postmortem, text: str, filename: str) -> dict[str, Any]:
    """Without Confluence: the post-mortem as a Markdown file (and the transcript) in the channel."""
    incident = ctx.incident
    if not incident.channel_id:
        raise IntegrationError("slack", "no_channel", "no incident channel to upload the post-mortem into")
    content = postmortem.markdown(doc).encode("utf-8")
    digest = hashlib.sha256(content).hexdigest()
    if ctx.record.result.get("url") and ctx.record.result.get("digest") == digest:
        return ctx.record.result  # this very document is already in the channel
    updated = " (updated)" if ctx.record.result.get("url") else ""
    url = await ctx.slack.upload(
        incident.channel_id,
        f"{incident.key}-postmortem.md",
        content,
        doc.title,
        f"Post-mortem draft of {incident.key}{updated} (Confluence is not configured).",
    )
    if not ctx.record.result.get("transcript"):
        await ctx.slack.upload(incident.channel_id, filename, text.encode("utf-8"), f"{incident.key} transcript", "")
    await ctx.store.set_postmortem(incident.id, url)
    await ctx.save(url=url, digest=digest, transcript=True)
    if not ctx.record.result.get("ticket_linked"):
        await _link_ticket(ctx, doc.title, url)
    return {
        "url": url,
        "label": "Post-mortem",
        "link_text": doc.title,
        "format": "markdown",
        "digest": digest,
        "transcript": True,
        "ticket_linked": True,
    }


async def _link_ticket(ctx: StepContext, title: str, url: str) -> None:
    """The incident's Jira ticket points to the post-mortem (once; a failure is retried with the step)."""
    if ctx.integrations.jira is None:
        return
    key = await _ticket(ctx)
    if key:
        await ctx.integrations.jira.comment(key, f"Post-mortem: [{wiki_escape(title)}|{url}]")
    await ctx.save(ticket_linked=True)


RESOLVE_STEPS = {"update_jira_ticket": update_jira_ticket, "create_postmortem": create_postmortem}
