"""A process killed between confirm and the end of its steps: restarted, it resumes without duplicates."""

from __future__ import annotations

from bot.models import Phase, StepStatus
from sandbox.slack import SlackEmulator
from tests.conftest import People, Running, declare_via_workflow, wait_for


async def test_crash_after_channel_created_but_not_recorded_resumes_without_second_channel(
    slack: SlackEmulator, people: People, running: Running
) -> None:
    execution, decl = await declare_via_workflow(slack, people)
    # The channel gets created, then the process dies while setting its topic (before recording it).
    slack.fail("conversations.setTopic", error="fatal_error", delay=30.0)
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await wait_for(lambda: slack.calls_to("conversations.create"), what="channel creation")
    await wait_for(lambda: any(c.name.startswith("inc-1") for c in slack.ws.channels.values()), what="channel")
    await running.crash()
    slack.faults.clear()

    bot = await running.start()
    await bot.service.drain()
    steps = {s.name: s for s in await bot.store.list_steps(1, Phase.START)}
    assert {s.status for s in steps.values()} == {StepStatus.OK}, steps
    assert steps["create_channel"].attempts == 2
    ours = [c for c in slack.ws.channels.values() if c.name.startswith("inc-1")]
    assert len(ours) == 1 and ours[0].name == "inc-1-checkout-is-down"
    assert len([m for m in slack.messages(ours[0].id) if m.metadata]) == 1  # one intro
    assert len(slack.messages(people.incidents, thread_ts=decl.ts)) == 1  # one announcement
    assert execution.state == "completed" and execution.outputs["channel_id"] == ours[0].id  # type: ignore[index]


async def test_crash_during_invites_and_intro_resumes_the_unfinished_steps_once(
    slack: SlackEmulator, people: People, running: Running
) -> None:
    _, decl = await declare_via_workflow(slack, people)
    slack.fail("conversations.invite", error="fatal_error", delay=30.0)
    slack.fail("chat.getPermalink", error="fatal_error", delay=30.0)  # post_intro waits on it
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await wait_for(lambda: slack.calls_to("conversations.setTopic"), what="channel ready")
    await wait_for(lambda: len(slack.ws.channels[people.incidents].messages) >= 2, what="announcement")
    await running.crash()
    slack.faults.clear()

    bot = await running.start()
    await bot.service.drain()
    assert {s.status for s in await bot.store.list_steps(1, Phase.START)} == {StepStatus.OK}
    channel = next(c for c in slack.ws.channels.values() if c.name.startswith("inc-1"))
    assert len([c for c in slack.calls_to("conversations.create") if c.ok]) == 1
    assert {people.carol, people.dave, people.alice, people.bob} <= channel.members
    assert len([m for m in slack.messages(channel.id) if m.metadata]) == 1
    assert len(slack.messages(people.incidents, thread_ts=decl.ts)) == 1


async def test_declaration_that_could_not_be_posted_is_posted_on_restart(
    slack: SlackEmulator, people: People, running: Running
) -> None:
    slack.fail("chat.postMessage", status=500, retry_after=None, times=20)
    execution = await slack.run_function(
        "start_incident", {"title": "DB down", "level": "P2", "reporter": people.alice}
    )
    assert running.bot is not None
    await wait_for(lambda: len(slack.calls_to("chat.postMessage")) >= 3, what="posting tried")
    assert len(await running.bot.store.undeclared_messages()) == 1  # stored, waiting to be posted
    assert execution.state == "pending"  # the workflow step waits for the confirmation, not failed
    await running.crash()
    slack.faults.clear()
    bot = await running.start()
    decl = await wait_for(lambda: slack.messages(people.incidents), what="declaration posted on restart")
    assert "INC-1: DB down" in slack.seen(people.incidents, decl[0].ts)[0]
    assert await bot.store.undeclared_messages() == []


async def test_declaration_delayed_by_slack_is_posted_when_slack_recovers(
    slack: SlackEmulator, people: People, running: Running
) -> None:
    slack.fail("chat.postMessage", status=503, retry_after=None, times=3)  # one post, with its 2 retries
    execution = await slack.run_function(
        "start_incident", {"title": "API errors", "level": "P3", "reporter": people.alice}
    )
    decl = await wait_for(lambda: slack.messages(people.incidents), timeout=15, what="posted in the background")
    assert "INC-1: API errors" in decl[0].text and execution.state == "pending"
