"""The App Home tab: what is burning now, what waits for a Confirm, what was resolved, 30-day figures.

Built within Slack's limits (100 blocks, 3000 characters a section, 250 KB a view) with "and N more"
lines, and refreshed for the people who opened it recently when an incident changes, paced under
views.publish's rate limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from bot import blocks
from bot.blocks import _mrkdwn, _plain, resolve_button
from bot.errors import IntegrationError
from bot.ids import ActionId, IncidentRef
from bot.metrics import human
from bot.models import Incident, State
from bot.naming import escape, plain
from bot.report import percent, period_figures
from bot.uptime import Figures

log = logging.getLogger(__name__)
MAX_BLOCKS = 100
MAX_BYTES = 240_000  # under Slack's 250 KB, with room for the envelope
RECENT = 24 * 3600.0  # who opened the tab in the last day gets live refreshes
PACE = 0.7  # seconds between two publishes: about 85 a minute, under the Tier 4 limit
LINK_LABELS = {"create_zoom_meeting": "meeting", "create_jira_ticket": "ticket", "create_postmortem": "post-mortem"}


def _active_line(i: Incident, now: datetime, links: dict[str, str], failed: list[str]) -> str:
    parts = [f"*{i.key}* {escape(plain(i.title, 150))}", f"{escape(i.level)} · {human(now - i.declared_at)} old"]
    if i.channel_id:
        parts.append(f"<#{i.channel_id}>")
    if i.confirmed_by:
        parts.append(f"confirmed by <@{i.confirmed_by}>")
    parts += [f"<{url}|{LINK_LABELS.get(name, name)}>" for name, url in links.items() if len(url) < 400]
    text = " · ".join(parts)
    if failed:
        text += f"\n⚠️ failed: {escape(', '.join(failed))}"
    return plain(text, 2900)


def build(
    active: list[Incident],
    declared: list[Incident],
    resolved: list[Incident],
    figures: Figures,
    links: dict[int, dict[str, str]],
    failed: dict[int, list[str]],
    now: datetime,
    levels: list[str],
    limit_active: int | None = None,
) -> dict[str, Any]:
    """The Home view (pure). `limit_active` caps the active incidents shown (used to fit the size)."""
    body: list[dict[str, Any]] = [
        {"type": "header", "text": _plain("Incidents", 150)},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "home_start",
                    "style": "danger",
                    "text": _plain("Start an incident", 75),
                },
                {"type": "button", "action_id": "home_resolve", "text": _plain("Resolve an incident", 75)},
            ],
        },
    ]
    tail_blocks = 8 + (1 if declared else 0)  # dividers, headings, resolved, figures, "more" lines
    declared_shown = declared[: min(len(declared), 10)]
    room = MAX_BLOCKS - len(body) - tail_blocks - len(declared_shown) - 2
    shown = active[: max(0, min(room, limit_active if limit_active is not None else room))]
    body.append(
        {
            "type": "section",
            "text": _mrkdwn(f"*🔥 Active ({len(active)})*" if active else "*🔥 Active*\nNothing is burning right now."),
        }
    )
    for incident in shown:
        body.append(
            {
                "type": "section",
                "text": _mrkdwn(_active_line(incident, now, links.get(incident.id, {}), failed.get(incident.id, []))),
                "accessory": resolve_button(incident),
            }
        )
    if len(active) > len(shown):
        body.append({"type": "context", "elements": [_mrkdwn(f"and {len(active) - len(shown)} more active")]})
    if declared:
        body.append({"type": "section", "text": _mrkdwn(f"*⏳ Waiting for confirmation ({len(declared)})*")})
        for incident in declared_shown:
            body.append(
                {
                    "type": "section",
                    "text": _mrkdwn(
                        plain(
                            f"*{incident.key}* {escape(plain(incident.title, 150))} · {escape(incident.level)}"
                            f" · declared by <@{incident.declared_by}> {human(now - incident.declared_at)} ago",
                            2900,
                        )
                    ),
                    "accessory": {
                        "type": "button",
                        "action_id": ActionId.CONFIRM,
                        "style": "primary",
                        "value": IncidentRef(incident.id).pack(),
                        "text": _plain("Confirm", 75),
                    },
                }
            )
        if len(declared) > len(declared_shown):
            body.append({"type": "context", "elements": [_mrkdwn(f"and {len(declared) - len(declared_shown)} more")]})
    body.append({"type": "divider"})
    lines = [
        f"*{i.key}* {escape(plain(i.title, 80))} · {escape(i.level)} · {human((i.resolved_at or now) - i.declared_at)}"
        for i in resolved[:10]
    ]
    body.append(
        {"type": "section", "text": _mrkdwn(plain("*✅ Last resolved*\n" + ("\n".join(lines) or "None yet."), 2900))}
    )
    body.append({"type": "divider"})
    by_level = " · ".join(f"{escape(k)} {figures.by_level.get(k, 0)}" for k in levels)
    fields = [
        _mrkdwn(f"*Uptime*\n{percent(figures.uptime)}"),
        _mrkdwn(f"*Incidents*\n{figures.count} ({by_level})"),
        _mrkdwn(f"*Mean time to resolve*\n{human(figures.mean_time_to_resolve)}"),
        _mrkdwn(f"*Mean time to confirm*\n{human(figures.mean_time_to_confirm)}"),
    ]
    fields += [_mrkdwn(f"*{escape(name)}*\n{percent(value)}") for name, value in list(figures.by_service.items())[:6]]
    body.append({"type": "section", "text": _mrkdwn("*Last 30 days*"), "fields": fields[:10]})
    body.append(
        {
            "type": "context",
            "elements": [
                _mrkdwn(f"Updated {blocks.when(now)} · uptime: docs/uptime.md · `incident-bot report` for any period")
            ],
        }
    )
    return {"type": "home", "blocks": body}


def fit(
    active: list[Incident],
    declared: list[Incident],
    resolved: list[Incident],
    figures: Figures,
    links: dict[int, dict[str, str]],
    failed: dict[int, list[str]],
    now: datetime,
    levels: list[str],
) -> dict[str, Any]:
    """`build`, showing fewer active incidents until the view is under the size limit."""
    view = build(active, declared, resolved, figures, links, failed, now, levels)
    shown: int | None = None
    while len(json.dumps(view).encode()) > MAX_BYTES:
        count = sum(1 for b in view["blocks"] if b.get("accessory", {}).get("action_id") == ActionId.RESOLVE)
        shown = max(0, (shown if shown is not None else count) - 10)
        view = build(active, declared, resolved, figures, links, failed, now, levels, limit_active=shown)
        if shown == 0:
            break
    return view


class Home:
    """Publishes the Home tab: when someone opens it, and again (paced) when incidents change."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.viewers: dict[str, float] = {}
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def view(self) -> dict[str, Any]:
        store, plans = self.service.store, self.service.plans
        now = self.service.clock.now()
        active = await store.incidents_in([State.ACTIVE], limit=1000)
        declared = await store.incidents_in([State.DECLARED], limit=100)
        resolved = await store.recently_resolved(10)
        figures = await period_figures(store, plans, now - timedelta(days=30), now)
        ids = [i.id for i in active[:100]]
        plan = self.service.plan()
        return fit(
            active,
            declared,
            resolved,
            figures,
            await store.step_links(ids),
            await store.failed_steps(ids),
            now,
            list(plan.levels),
        )

    async def opened(self, user: str) -> None:
        self.viewers[user] = time.monotonic()
        await self.publish(user, await self.view())

    async def publish(self, user: str, view: dict[str, Any]) -> None:
        try:
            await self.service.slack.call("views.publish", user_id=user, view=view)
        except IntegrationError as exc:
            log.warning("event=home_publish_failed user=%s error=%r", user, str(exc))

    def changed(self) -> None:
        """An incident changed: refresh the tab of recent viewers soon (coalesced)."""
        if not self.viewers:
            return
        self._dirty.set()
        if self._task is None or self._task.done():
            self._task = self.service.spawn(self._refresh_loop(), "home refresh")

    async def _refresh_loop(self) -> None:
        while self._dirty.is_set():
            self._dirty.clear()
            await asyncio.sleep(PACE)  # let a burst of changes settle into one refresh
            cutoff = time.monotonic() - RECENT
            for user in [u for u, seen in self.viewers.items() if seen < cutoff]:
                del self.viewers[user]
            view = await self.view()
            for user in list(self.viewers):
                await self.publish(user, view)
                await asyncio.sleep(PACE if len(self.viewers) > 10 else 0)
