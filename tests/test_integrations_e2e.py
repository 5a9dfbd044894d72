"""Zoom, Jira and notify as start steps: in parallel, optional, and a broken one costs only itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.app import Bot
from bot.models import Phase, StepStatus
from sandbox.faults import FaultyServer
from sandbox.jira import JiraEmulator
from sandbox.slack import SlackEmulator
from sandbox.zoom import ZoomEmulator
from tests.conftest import People, Running, channel_named, declare_via_workflow, wait_for


async def start_incident(slack: SlackEmulator, people: People, bot: Bot, level: str = "P1") -> Any:
    _, decl = await declare_via_workflow(slack, people, "Checkout is down", level)
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    return decl


async def statuses(bot: Bot) -> dict[str, StepStatus]:
    return {s.name: s.status for s in await bot.store.list_steps(1, Phase.START)}


async def test_channel_zoom_and_jira_are_created_at_the_same_time(
    slack: SlackEmulator, zoom: ZoomEmulator, jira: JiraEmulator, people: People, bot: Bot
) -> None:
    await bot.service.drain()  # the start-up checks of the integrations are not part of this
    zoom.requests.clear()
    jira.requests.clear()
    slack.latency = zoom.latency = jira.latency = 0.3
    decl = await start_incident(slack, people, bot)
    create = slack.calls_to("conversations.create")[0]
    first_zoom, first_jira = zoom.requests[0], jira.requests[0]  # the meeting, the ticket search
    intervals = [
        (create.started, create.at),
        (first_zoom.started, first_zoom.ended),
        (first_jira.started, first_jira.ended),
    ]
    assert max(s for s, _ in intervals) < min(e for _, e in intervals), intervals  # all three in flight at once
    assert set((await statuses(bot)).values()) == {StepStatus.OK}

    channel = channel_named(slack, "inc-1-")
    meeting = next(iter(zoom.meetings.values()))
    ticket = jira.issues["OPS-1"]
    assert meeting["topic"] == "INC-1: Checkout is down" and meeting["host_id"] == "UZHOST01"
    assert ticket["fields"]["summary"] == "[INC-1] Checkout is down"
    assert ticket["fields"]["labels"] == ["INC-1", "incident-P1"]
    assert ticket["fields"]["priority"] == {"name": "Highest"}
    assert ticket["fields"]["issuetype"] == {"name": "Incident"}
    # no hidden requests: no server info, no field list, no prefetch of the created issue
    assert [(r.method, r.path.split("?")[0]) for r in jira.requests] == [
        ("GET", "/rest/api/2/search"),
        ("POST", "/rest/api/2/issue"),
    ]
    assert [(r.method, r.path.split("?")[0]) for r in zoom.requests] == [
        ("POST", "/v2/users/host@example.com/meetings")
    ]  # the token from the start-up check is reused
    # the join URL (never the start URL) is in the intro, the bookmarks, the announcement and the alert
    intro = slack.messages(channel.id)[0]
    reply = slack.messages(people.incidents, thread_ts=decl.ts)[0]
    dm = slack.messages(slack.ws.channel_by_name(f"dm-{people.dave.lower()}").id)[0]  # type: ignore[union-attr]
    for where, message in ((channel.id, intro), (people.incidents, decl)):
        _, entities = slack.seen(where, message.ts)
        assert f"link:{meeting['join_url']}" in entities and f"link:{jira.url}/browse/OPS-1" in entities
    assert f"channel:{channel.id}" in slack.seen(people.incidents, reply.ts)[1]  # under the declaration
    assert meeting["join_url"] in str(dm.blocks) and "zak=" not in str(slack.calls)
    assert {b["link"] for b in channel.bookmarks} == {meeting["join_url"], f"{jira.url}/browse/OPS-1"}


FAULTS = ["500", "429-then-ok", "timeout", "refused", "401"]


async def inject(server: FaultyServer, fault: str, integration: str) -> None:
    if fault == "500":
        server.fail("", status=500, times=100)
    elif fault == "429-then-ok":
        server.fail("", status=429, retry_after=1, times=1)
    elif fault == "timeout":
        server.hang("", seconds=5, times=100)
    elif fault == "refused":
        await server.stop()
    elif fault == "401":
        body = (
            {"errorMessages": ["Client must be authenticated"]}
            if integration == "jira"
            else {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        )
        server.fail("", status=401, times=100, body=body)


REASONS = {
    ("zoom", "500"): "http_500",
    ("jira", "500"): "http_500",
    ("zoom", "timeout"): "timeout",
    ("jira", "timeout"): "timeout",
    ("zoom", "refused"): "ConnectError",
    ("jira", "refused"): "ConnectionError",
    ("zoom", "401"): "invalid_client",
    ("jira", "401"): "unauthorized",
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("integration", ["zoom", "jira"])
async def test_fault_matrix(
    slack: SlackEmulator,
    zoom: ZoomEmulator,
    jira: JiraEmulator,
    people: People,
    bot: Bot,
    integration: str,
    fault: str,
) -> None:
    broken: FaultyServer = zoom if integration == "zoom" else jira
    step = "create_zoom_meeting" if integration == "zoom" else "create_jira_ticket"
    other_link = f"{jira.url}/browse/OPS-1" if integration == "zoom" else "https://zoom.example/j/"
    await inject(broken, fault, integration)
    await start_incident(slack, people, bot)
    status = await statuses(bot)
    channel = channel_named(slack, "inc-1-")
    assert channel is not None and {people.carol, people.dave} <= channel.members
    assert {n: s for n, s in status.items() if n != step} == dict.fromkeys(
        [n for n in status if n != step], StepStatus.OK
    )
    intro_text = str(slack.messages(channel.id)[0].blocks)
    assert other_link in intro_text  # the other resources are there
    if fault == "429-then-ok":
        assert status[step] == StepStatus.OK
        assert not [m for m in slack.messages(channel.id) if "did not complete" in m.text]
        return
    assert status[step] == StepStatus.FAILED
    report = next(m for m in slack.messages(channel.id) if "did not complete" in m.text)
    shown, _ = slack.seen(channel.id, report.ts)
    assert step in shown and REASONS[(integration, fault)] in shown

    broken.clear()
    if fault == "refused":
        await broken.start()
    await slack.click(channel.id, report.ts, "incident_retry", people.bob)
    await wait_for(
        lambda: "All steps of INC-1 are done" in slack.seen(channel.id, report.ts)[0],
        timeout=15,
        what="retry to succeed",
    )
    assert (await statuses(bot))[step] == StepStatus.OK
    resource = "https://zoom.example/j/" if integration == "zoom" else f"{jira.url}/browse/OPS-1"
    await wait_for(lambda: resource in str(slack.messages(channel.id)[0].blocks), what="intro updated")
    assert len(zoom.meetings) == 1 and len(jira.issues) == 1  # nothing created twice


async def test_clicks_are_acknowledged_while_integrations_hang(
    slack: SlackEmulator, zoom: ZoomEmulator, jira: JiraEmulator, people: People, bot: Bot
) -> None:
    zoom.hang("", seconds=5, times=100)
    jira.hang("", seconds=5, times=100)
    _, decl = await declare_via_workflow(slack, people)
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await wait_for(lambda: jira.requests and zoom.requests, what="the hang to begin")
    latencies = []
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:  # keep clicking for the whole hang
        started = time.monotonic()
        await slack.shortcut("start_incident", people.carol)
        latencies.append(time.monotonic() - started)
    assert len(latencies) >= 10 and max(latencies) < 0.5, latencies
    assert any(not r.ended for r in jira.requests)  # Jira was still hanging while we clicked


async def test_not_configured_integrations_are_skipped_with_a_reason(
    slack: SlackEmulator, people: People, env: dict[str, str], running: Running
) -> None:
    await running.stop()
    for name in [k for k in env if k.startswith(("ZOOM_", "JIRA_"))]:
        del env[name]
    env["JIRA_URL"] = "https://example.atlassian.net"  # half-configured: still not configured
    bot = await running.start()
    await start_incident(slack, people, bot)
    steps = {s.name: s for s in await bot.store.list_steps(1, Phase.START)}
    assert steps["create_zoom_meeting"].status == StepStatus.SKIPPED
    assert steps["create_zoom_meeting"].error == "Zoom is not configured"
    assert steps["create_jira_ticket"].error == (
        "Jira is not configured: JIRA_EMAIL, JIRA_API_TOKEN, JIRA_PROJECT not set"
    )
    assert {s.status for n, s in steps.items() if not n.startswith("create_") or n == "create_channel"} == {
        StepStatus.OK
    }
    channel = channel_named(slack, "inc-1-")
    assert not [m for m in slack.messages(channel.id) if "did not complete" in m.text]  # not a failure


async def test_notify_reports_unknown_targets_and_still_alerts_the_rest(
    slack: SlackEmulator, people: People, bot: Bot, tmp_path: Path
) -> None:
    group = slack.ws.group_by_handle("management")
    assert group is not None
    group.users.append("U0GONE")  # a deactivated member
    await start_incident(slack, people, bot)
    steps = {s.name: s for s in await bot.store.list_steps(1, Phase.START)}
    assert steps["notify"].status == StepStatus.FAILED and "U0GONE" in (steps["notify"].error or "")
    dave_dm = slack.ws.channel_by_name(f"dm-{people.dave.lower()}")
    assert dave_dm is not None and len(dave_dm.messages) == 1
