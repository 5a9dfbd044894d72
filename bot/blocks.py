"""Block Kit builders: pure functions from an incident (and its steps) to what Slack shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from actions.catalog import CATALOG
from bot.ids import ActionId, BlockId, CallbackId, IncidentRef, ModalMeta
from bot.metrics import human, metrics
from bot.models import Incident, State, StepRecord, StepStatus
from bot.naming import TITLE_MAX, escape, plain
from bot.plans import Plan

Blocks = list[dict[str, Any]]
STATE_LABEL = {
    State.DECLARED: "Waiting for confirmation",
    State.ACTIVE: "Active",
    State.RESOLVED: "Resolved",
    State.ARCHIVED: "Archived",
    State.CANCELLED: "Cancelled",
}


def when(moment: datetime) -> str:
    """A time every reader sees in their own time zone, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain(text, limit), "emoji": True}


def _level(plan: Plan, incident: Incident) -> str:
    level = plan.levels.get(incident.level)
    return f"{incident.level} · {escape(level.name)}" if level else escape(incident.level)


def headline(incident: Incident) -> str:
    """The notification text (what a push notification shows); user text escaped."""
    return f"{incident.key}: {escape(incident.title)}"


def resources(steps: list[StepRecord]) -> list[tuple[str, str]]:
    """(label, url) of every resource a step created: meeting, ticket, ..."""
    found: dict[str, tuple[str, str]] = {}
    for step in steps:
        url = step.result.get("url") if step.status == StepStatus.OK else None
        if isinstance(url, str) and url.startswith(("https://", "http://")) and url not in found:
            found[url] = (str(step.result.get("label") or step.name), url)
    return list(found.values())


def _resources(incident: Incident, steps: list[StepRecord]) -> list[str]:
    lines = []
    if incident.channel_id:
        lines.append(f"Channel: <#{incident.channel_id}>")
    seen: set[str] = set()
    for step in steps:
        url = step.result.get("url") if step.status == StepStatus.OK else None
        if url and step.name != "create_channel" and url not in seen:
            seen.add(url)
            label = escape(str(step.result.get("label") or CATALOG.get(step.name, step.name)))
            lines.append(f"{label}: <{url}|{escape(str(step.result.get('link_text') or url))}>")
    return lines


def declaration(incident: Incident, plan: Plan, steps: list[StepRecord] | None = None) -> Blocks:
    """The public message in the announce channel: declared, then confirmed or cancelled."""
    ref = IncidentRef(incident.id).pack()
    blocks: Blocks = [
        {"type": "header", "text": _plain(f"🚨 {incident.key}: {incident.title}", 150)},
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Level*\n{_level(plan, incident)}"),
                _mrkdwn(f"*Declared by*\n<@{incident.declared_by}>"),
                _mrkdwn(f"*State*\n{STATE_LABEL[incident.state]}"),
                _mrkdwn(f"*Declared*\n{when(incident.declared_at)}"),
                *([_mrkdwn(f"*Services*\n{escape(', '.join(incident.services))}")] if incident.services else []),
            ],
        },
    ]
    if incident.state == State.DECLARED:
        blocks.append(
            {
                "type": "actions",
                "block_id": BlockId.DECISION,
                "elements": [
                    {
                        "type": "button",
                        "action_id": ActionId.CONFIRM,
                        "style": "primary",
                        "value": ref,
                        "text": _plain("Confirm incident", 75),
                    },
                    {
                        "type": "button",
                        "action_id": ActionId.CANCEL,
                        "style": "danger",
                        "value": ref,
                        "text": _plain("Cancel", 75),
                    },
                ],
            }
        )
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn("Confirming creates the incident channel and invites the responders.")],
            }
        )
    elif incident.state == State.CANCELLED and incident.cancelled_at:
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(f"❎ Cancelled by <@{incident.cancelled_by}> {when(incident.cancelled_at)}")],
            }
        )
    elif incident.confirmed_at:
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(f"✅ Confirmed by <@{incident.confirmed_by}> {when(incident.confirmed_at)}")],
            }
        )
        links = _resources(incident, steps or [])
        if links:
            blocks.append({"type": "section", "text": _mrkdwn("\n".join(links))})
    return blocks


def resolve_button(incident: Incident) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": ActionId.RESOLVE,
        "value": IncidentRef(incident.id).pack(),
        "text": _plain(f"Resolve {incident.key}", 75),
    }


def _resolved_line(incident: Incident) -> str:
    m = metrics(incident)
    origin = f" · origin: {incident.origin.label}" if incident.origin else ""
    when_ = when(incident.resolved_at) if incident.resolved_at else ""
    return f"✅ Resolved by <@{incident.resolved_by}> {when_} · duration {human(m.duration)}{origin}"


def intro(incident: Incident, plan: Plan, steps: list[StepRecord], declaration_link: str | None) -> Blocks:
    """The first message of the incident channel; updated as resources arrive."""
    fields = [
        _mrkdwn(f"*Level*\n{_level(plan, incident)}"),
        _mrkdwn(f"*State*\n{STATE_LABEL[incident.state]}"),
        _mrkdwn(f"*Declared by*\n<@{incident.declared_by}> {when(incident.declared_at)}"),
    ]
    if incident.confirmed_at:
        fields.append(_mrkdwn(f"*Confirmed by*\n<@{incident.confirmed_by}> {when(incident.confirmed_at)}"))
    blocks: Blocks = [
        {"type": "header", "text": _plain(f"{incident.key}: {incident.title}", 150)},
        {"type": "section", "fields": fields},
    ]
    level = plan.levels.get(incident.level)
    if level:
        blocks.append({"type": "context", "elements": [_mrkdwn(escape(plain(level.description, 2900)))]})
    links = _resources(incident, steps)
    if declaration_link:
        links.append(f"Declaration: <{declaration_link}|message in the announce channel>")
    if links:
        blocks.append({"type": "section", "text": _mrkdwn("*Resources*\n" + "\n".join(links))})
    if incident.state == State.ACTIVE:
        blocks.append({"type": "actions", "block_id": BlockId.RESOLVE, "elements": [resolve_button(incident)]})
    elif incident.resolved_at:
        blocks.append({"type": "context", "elements": [_mrkdwn(_resolved_line(incident))]})
    return blocks


def resolution(incident: Incident, steps: list[StepRecord]) -> tuple[str, Blocks]:
    """The company-wide message of a resolution: who, duration, origin, links (the post-mortem's too)."""
    m = metrics(incident)
    text = f"✅ {headline(incident)} is resolved (duration {human(m.duration)})."
    fields = [
        _mrkdwn(f"*Resolved by*\n<@{incident.resolved_by}>"),
        _mrkdwn(f"*Duration*\n{human(m.duration)}"),
        _mrkdwn(f"*Time to confirm*\n{human(m.time_to_confirm)}"),
        _mrkdwn(f"*Origin*\n{incident.origin.label if incident.origin else 'not given yet'}"),
    ]
    body: Blocks = [{"type": "section", "text": _mrkdwn(f"*{text}*")}, {"type": "section", "fields": fields}]
    if incident.summary:
        body.append({"type": "section", "text": _mrkdwn(escape(plain(incident.summary, 2900)))})
    links = _resources(incident, steps)
    if links:
        body.append({"type": "context", "elements": [_mrkdwn(plain(" · ".join(links), 3000))]})
    return text, body


def reminder(incident: Incident, age_: timedelta, silence: timedelta) -> tuple[str, Blocks]:
    """The nudge in a silent incident channel: the incident's age, and a Resolve button."""
    text = (
        f"⏰ {incident.key} has been active for {human(age_)} and this channel has been quiet for "
        f"{human(silence)}. Post an update, or resolve it if the impact is over."
    )
    return text, [
        {"type": "section", "text": _mrkdwn(text), "accessory": resolve_button(incident)},
        {"type": "context", "elements": [_mrkdwn(f"Or type `resolve {incident.key}`.")]},
    ]


def archive_notice(incident: Incident) -> tuple[str, Blocks]:
    text = (
        f"🗄️ {incident.key} was resolved and this channel has been quiet since; it is archived now. "
        "Its history stays searchable."
    )
    return text, [{"type": "section", "text": _mrkdwn(text)}]


def origin_question(incident: Incident) -> tuple[str, Blocks]:
    ref = IncidentRef(incident.id).pack()
    text = f"What was the origin of {incident.key}? It goes to the Jira ticket and the post-mortem."
    return text, [
        {"type": "section", "text": _mrkdwn(text)},
        {
            "type": "actions",
            "block_id": BlockId.ORIGIN,
            "elements": [
                {"type": "button", "action_id": ActionId.ORIGIN_INTERNAL, "value": ref, "text": _plain("Internal", 75)},
                {
                    "type": "button",
                    "action_id": ActionId.ORIGIN_THIRD_PARTY,
                    "value": ref,
                    "text": _plain("Third-party provider", 75),
                },
            ],
        },
    ]


def origin_answered(incident: Incident, user: str) -> tuple[str, Blocks]:
    label = incident.origin.label if incident.origin else "unknown"
    text = f"Origin of {incident.key}: {label} (set by <@{user}>)."
    return text, [{"type": "section", "text": _mrkdwn(text)}]


def age(incident: Incident, now: datetime) -> str:
    return human(now - (incident.confirmed_at or incident.declared_at))


def resolve_list(incidents: list[Incident], now: datetime) -> tuple[str, Blocks]:
    """Several active incidents: each with the exact command to paste and a Resolve button."""
    text = f"{len(incidents)} incidents are active; say which one to resolve."
    body: Blocks = [{"type": "section", "text": _mrkdwn(text)}]
    for incident in incidents[:40]:
        channel = f" · <#{incident.channel_id}>" if incident.channel_id else ""
        body.append(
            {
                "type": "section",
                "text": _mrkdwn(
                    f"*{incident.key}* {escape(plain(incident.title, 150))} · {escape(incident.level)} · "
                    f"{age(incident, now)} old{channel}\n`resolve {incident.key}`"
                ),
                "accessory": resolve_button(incident),
            }
        )
    if len(incidents) > 40:
        body.append({"type": "context", "elements": [_mrkdwn(f"and {len(incidents) - 40} more")]})
    return text, body


ORIGIN_OPTIONS = [("internal", "Internal"), ("third-party", "Third-party provider")]


def resolve_modal(choices: list[Incident], fixed: Incident | None, meta: ModalMeta) -> dict[str, Any]:
    """Resolve: which incident (unless fixed), origin and summary (both optional, asked later if empty)."""
    body: Blocks = []
    if fixed is not None:
        body.append({"type": "section", "text": _mrkdwn(f"*{fixed.key}*: {escape(plain(fixed.title, 150))}")})
    else:
        body.append(
            {
                "type": "input",
                "block_id": BlockId.INCIDENT,
                "label": _plain("Incident", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": BlockId.INCIDENT,
                    "options": [
                        {"text": _plain(f"{i.key} · {i.level} · {i.title}", 75), "value": str(i.id)}
                        for i in choices[:100]
                    ],
                },
            }
        )
    body.append(
        {
            "type": "input",
            "block_id": BlockId.ORIGIN,
            "optional": True,
            "label": _plain("Origin", 2000),
            "element": {
                "type": "static_select",
                "action_id": BlockId.ORIGIN,
                "options": [{"text": _plain(label, 75), "value": value} for value, label in ORIGIN_OPTIONS],
            },
            "hint": _plain("Internal, or a third-party provider's outage. Leave empty to answer later.", 2000),
        }
    )
    body.append(
        {
            "type": "input",
            "block_id": BlockId.SUMMARY,
            "optional": True,
            "label": _plain("Summary", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": BlockId.SUMMARY,
                "multiline": True,
                "max_length": 2000,
                "placeholder": _plain("What happened and how it was fixed", 150),
            },
        }
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.RESOLVE_MODAL,
        "private_metadata": meta.pack(),
        "title": _plain("Resolve an incident", 24),
        "submit": _plain("Resolve", 24),
        "close": _plain("Cancel", 24),
        "blocks": body,
    }


def notice_modal(title: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": _plain(title, 24),
        "close": _plain("Close", 24),
        "blocks": [{"type": "section", "text": _mrkdwn(text)}],
    }


def announcement(incident: Incident, steps: list[StepRecord]) -> tuple[str, Blocks]:
    """The reply under the declaration once confirmed: where to go; updated as links arrive."""
    text = f"{incident.key} is confirmed by <@{incident.confirmed_by}>."
    if incident.channel_id:
        text += f" Join <#{incident.channel_id}>."
    links = _resources(incident, steps)
    body: Blocks = [{"type": "section", "text": _mrkdwn(text)}]
    if links:
        body.append({"type": "context", "elements": [_mrkdwn(" · ".join(links))]})
    return text, body


def alert(incident: Incident, plan: Plan, steps: list[StepRecord]) -> tuple[str, Blocks]:
    """The alert of the `notify` step (e.g. management during a P1); updated as links arrive."""
    text = f"🚨 {_level(plan, incident)} incident {headline(incident)}"
    body: Blocks = [
        {
            "type": "section",
            "text": _mrkdwn(
                f"*{text}*\nDeclared by <@{incident.declared_by}>, confirmed by <@{incident.confirmed_by}>."
            ),
        },
    ]
    links = _resources(incident, steps)
    if links:
        body.append({"type": "section", "text": _mrkdwn("\n".join(links))})
    return text, body


def is_problem(step: StepRecord) -> bool:
    """Failed, or skipped for a reason other than an integration that is simply not configured."""
    if step.status == StepStatus.FAILED:
        return True
    return step.status == StepStatus.SKIPPED and not step.result.get("not_configured")


def failures(incident: Incident, steps: list[StepRecord], phase: str = "on_start") -> tuple[str, Blocks]:
    """The list of failed (and skipped) steps with a Retry button; or the all-clear after a retry."""
    bad = [s for s in steps if is_problem(s)]
    if not bad:
        what = "resolution steps" if phase == "on_resolve" else "steps"
        text = f"All {what} of {incident.key} are done."
        return text, [{"type": "section", "text": _mrkdwn(f"✅ {text}")}]
    lines = []
    for step in bad:
        what = CATALOG[step.name].summary if step.name in CATALOG else step.name
        verb = "failed" if step.status == StepStatus.FAILED else "skipped"
        lines.append(f"• `{step.name}` ({escape(what)}) {verb}: {escape(plain(step.error or 'unknown', 300))}")
    when_ = " after resolution" if phase == "on_resolve" else ""
    text = f"{incident.key}: {len(bad)} step(s){when_} did not complete"
    return text, [
        {"type": "section", "text": _mrkdwn(f"⚠️ *{text}*\n" + "\n".join(lines))},
        {
            "type": "actions",
            "block_id": BlockId.RETRY,
            "elements": [
                {
                    "type": "button",
                    "action_id": ActionId.RETRY,
                    "value": IncidentRef(incident.id, phase).pack(),
                    "text": _plain("Retry failed steps", 75),
                },
            ],
        },
    ]


def start_modal(plan: Plan, title: str = "", meta: ModalMeta | None = None) -> dict[str, Any]:
    """The modal of the shortcut and of `/incident start`: title and level, with the priority matrix."""
    matrix = "\n".join(
        f"*{escape(key)} · {escape(level.name)}*: {escape(level.description)}" for key, level in plan.levels.items()
    )
    options = [
        {"text": _plain(f"{key} · {level.name}", 75), "value": key, "description": _plain(level.description, 75)}
        for key, level in plan.levels.items()
    ]
    title_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": BlockId.TITLE,
        "max_length": TITLE_MAX,
        "placeholder": _plain("What is broken, in a few words", 150),
    }
    if title:
        title_input["initial_value"] = plain(title, TITLE_MAX)
    return {
        "type": "modal",
        "callback_id": CallbackId.START_MODAL,
        "private_metadata": (meta or ModalMeta(plan=plan.name)).pack(),
        "title": _plain("Start an incident", 24),
        "submit": _plain("Declare", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {"type": "input", "block_id": BlockId.TITLE, "label": _plain("Title", 2000), "element": title_input},
            {
                "type": "input",
                "block_id": BlockId.LEVEL,
                "label": _plain("Level", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": BlockId.LEVEL,
                    "options": options,
                    "placeholder": _plain("How bad is it?", 150),
                },
            },
            *_services_input(plan),
            {"type": "section", "text": _mrkdwn(plain("*Priority matrix*\n" + matrix, 3000))},
        ],
    }


def _services_input(plan: Plan) -> Blocks:
    if not plan.services:
        return []
    options = [
        {
            "text": _plain(s.name, 75),
            "value": s.name,
            **({"description": _plain(s.description, 75)} if s.description else {}),
        }
        for s in plan.services[:100]
    ]
    return [
        {
            "type": "input",
            "block_id": BlockId.SERVICES,
            "optional": True,
            "label": _plain("Affected services", 2000),
            "element": {
                "type": "multi_static_select",
                "action_id": BlockId.SERVICES,
                "options": options,
                "placeholder": _plain("If you know", 150),
            },
        }
    ]
