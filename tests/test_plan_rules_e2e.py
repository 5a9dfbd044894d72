"""What the plan decides, seen through Slack: who may confirm, who is invited, what a failure costs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Bot
from bot.models import Phase, State, StepStatus
from sandbox.slack import SlackEmulator
from tests.conftest import People, channel_named, declare_via_workflow, wait_for

PLAN = """
announce_channel: "#incidents"
channel_prefix: sev
responders:
  usergroups: ["@sre-oncall", "@ghost-team"]
  emails: [dave@example.com, nobody@example.com]
permissions:
  confirm: {usergroups: ["@sre-oncall"]}
levels:
  P1: {name: Critical, description: Everything is down}
  P2: {name: Major, description: Something big is broken, on_start: [create_channel, post_intro]}
"""


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "default.yaml").write_text(PLAN)
    return folder


async def test_refused_confirm_gets_a_reason_and_changes_nothing(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    _, decl = await declare_via_workflow(slack, people, level="P2")
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.alice)
    await wait_for(lambda: slack.ephemerals_for(people.alice), what="refusal")
    assert "does not allow you to confirm INC-1" in slack.ephemerals_for(people.alice)[0]
    assert (await bot.store.get_incident(1)).state == State.DECLARED
    assert [e.kind for e in await bot.store.timeline(1)] == ["declared"]

    await slack.click(people.incidents, decl.ts, "incident_confirm", people.carol)  # carol is in @sre-oncall
    await bot.service.drain()
    assert (await bot.store.get_incident(1)).confirmed_by == people.carol
    # P2 lists its own steps: no invitations, no announcement
    steps = {s.name: s.status for s in await bot.store.list_steps(1, Phase.START)}
    assert steps == {"create_channel": StepStatus.OK, "post_intro": StepStatus.OK}
    assert channel_named(slack, "sev-1-") is not None


async def test_unknown_responders_fail_their_step_only_and_retry_succeeds(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    _, decl = await declare_via_workflow(slack, people, level="P1")
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.carol)
    await bot.service.drain()
    steps = {s.name: s for s in await bot.store.list_steps(1, Phase.START)}
    assert steps["invite_responders"].status == StepStatus.FAILED
    assert "@ghost-team does not exist" in (steps["invite_responders"].error or "")
    assert "nobody@example.com" in (steps["invite_responders"].error or "")
    assert {n: s.status for n, s in steps.items() if n != "invite_responders"} == {
        "create_channel": StepStatus.OK,
        "post_intro": StepStatus.OK,
        "announce": StepStatus.OK,
        "create_zoom_meeting": StepStatus.OK,
        "create_jira_ticket": StepStatus.OK,
    }
    channel = channel_named(slack, "sev-1-")
    assert {people.alice, people.carol, people.dave} <= channel.members  # the rest were still invited
    report = next(m for m in slack.messages(channel.id) if "did not complete" in m.text)
    assert "@ghost-team" in slack.seen(channel.id, report.ts)[0]

    slack.ws.add_usergroup("ghost-team", [people.bob])
    slack.ws.add_user("nobody", "nobody@example.com")
    await slack.click(channel.id, report.ts, "incident_retry", people.carol)
    await wait_for(lambda: "All steps of INC-1 are done" in slack.seen(channel.id, report.ts)[0], what="retry")
    assert people.bob in channel.members
    assert {s.status for s in await bot.store.list_steps(1, Phase.START)} == {StepStatus.OK}
    # a second Retry has nothing to do and says so
    slack.ws.channels[channel.id].find(report.ts).blocks = [  # type: ignore[union-attr]
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "incident_retry",
                    "value": "1:on_start",
                    "text": {"type": "plain_text", "text": "Retry"},
                }
            ],
        }
    ]
    await slack.click(channel.id, report.ts, "incident_retry", people.carol)
    await wait_for(lambda: any("Nothing to retry" in t for t in slack.ephemerals_for(people.carol)), what="no-op")
