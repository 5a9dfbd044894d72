"""Resolving through every entry point, with metrics, the Jira ticket, the post-mortem and follow-ups."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.app import Bot
from bot.models import Origin, Phase, State, StepStatus
from sandbox.confluence import ConfluenceEmulator
from sandbox.jira import JiraEmulator
from sandbox.slack import SlackEmulator
from tests.conftest import People, channel_named, declare_via_workflow, state_of, wait_for


async def active_incident(
    slack: SlackEmulator, people: People, bot: Bot, title: str = "Checkout is down", level: str = "P2"
) -> Any:
    _, decl = await declare_via_workflow(slack, people, title, level)
    before = {i.id for i in await bot.store.incidents_in([State.ACTIVE])}
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    incident = next(i for i in await bot.store.incidents_in([State.ACTIVE]) if i.id not in before)
    return incident


def replies_to(slack: SlackEmulator, channel: str, ts: str) -> list[str]:
    return [m.text for m in slack.messages(channel, thread_ts=ts)]


async def test_resolve_command_resolves_the_only_active_incident_and_fills_everything(
    slack: SlackEmulator, jira: JiraEmulator, confluence: ConfluenceEmulator, people: People, bot: Bot
) -> None:
    incident = await active_incident(slack, people, bot)
    bot.service.clock.advance(__import__("datetime").timedelta(hours=2, minutes=5))  # type: ignore[attr-defined]
    await slack.type_message(people.incidents, people.carol, "resolve")
    resolved = await state_of(bot, incident.id, State.RESOLVED)
    assert resolved.state == State.RESOLVED and resolved.resolved_by == people.carol
    assert resolved.resolved_at - resolved.declared_at == __import__("datetime").timedelta(hours=2, minutes=5)
    assert {s.name: s.status for s in await bot.store.list_steps(incident.id, Phase.RESOLVE)} == {
        "update_jira_ticket": StepStatus.OK,
        "create_postmortem": StepStatus.OK,
    }
    # company-wide: announce channel and incident channel
    channel = channel_named(slack, "inc-1-")
    announce = next(m for m in slack.messages(people.incidents) if "is resolved" in m.text)
    in_channel = next(m for m in slack.messages(channel.id) if "is resolved" in m.text)
    shown, entities = slack.seen(people.incidents, announce.ts)
    assert "duration 2h 5m" in shown and "*Origin*\nnot given yet" in shown
    page = next(iter(confluence.pages.values()))
    assert page["title"] == "INC-1 post-mortem: Checkout is down"
    assert any(e.startswith("link:" + confluence.wiki) for e in entities)  # the post-mortem link
    # the origin is asked in the thread; answering fills the ticket and the page
    question = next(m for m in slack.messages(channel.id, thread_ts=in_channel.ts) if "origin" in m.text)
    ticket = jira.issues["OPS-1"]
    assert "origin-unknown" in ticket["fields"]["labels"] and "duration-2h5m0s" not in ticket["fields"]["labels"]
    assert "duration-2h5m" in ticket["fields"]["labels"]
    assert ticket["fields"]["status"] == {"name": "Done"}
    await slack.click(channel.id, question.ts, "incident_origin_third_party", people.carol)
    await wait_for(lambda: "origin-third-party" in jira.issues["OPS-1"]["fields"]["labels"], what="origin label")
    await bot.service.drain()
    labels = jira.issues["OPS-1"]["fields"]["labels"]
    assert "origin-unknown" not in labels and "INC-1" in labels
    assert (await bot.store.get_incident(incident.id)).origin == Origin.THIRD_PARTY
    assert "Third-party provider" in page["body"] and page["version"] >= 2
    assert "Origin of INC-1: Third-party provider" in slack.seen(channel.id, question.ts)[0]
    comments = [c["body"] for c in jira.comments["OPS-1"]]
    assert any("Duration:* 2h 5m" in c for c in comments) and any("Post-mortem:" in c for c in comments)
    attachment = confluence.attachments[page["id"]]["INC-1-transcript.txt"]
    assert b"resolve" in attachment["content"]
    assert {b["link"] for b in channel.bookmarks} >= {f"{jira.url}/browse/OPS-1"}


async def test_several_active_incidents_get_a_list_and_nothing_changes(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    first = await active_incident(slack, people, bot, "Checkout is down")
    second = await active_incident(slack, people, bot, "Search is slow")
    ts = await slack.type_message(people.incidents, people.alice, "resolve")
    replies = await wait_for(lambda: slack.messages(people.incidents, thread_ts=ts), what="the list")
    shown, _ = slack.seen(people.incidents, replies[0].ts)
    assert "2 incidents are active" in shown and "resolve INC-1" in shown and "resolve INC-2" in shown
    assert {i.state for i in [await bot.store.get_incident(first.id), await bot.store.get_incident(second.id)]} == {
        State.ACTIVE
    }
    # a Resolve button of the list opens the modal for that incident
    await slack.click(people.incidents, replies[0].ts, "incident_resolve", people.alice)
    view = await wait_for(lambda: slack.open_view(people.alice), what="resolve modal")
    assert "INC-1" in str(view["blocks"][0])
    ack = await slack.submit_view(view["id"], people.alice, {"origin": "internal", "summary": "Bad deploy"})
    assert ack == {}
    resolved = await state_of(bot, first.id, State.RESOLVED)
    assert (resolved.state, resolved.origin, resolved.summary) == (State.RESOLVED, Origin.INTERNAL, "Bad deploy")
    assert (await bot.store.get_incident(second.id)).state == State.ACTIVE
    # plain `resolve` inside an incident channel means that incident
    channel = channel_named(slack, "inc-2-")
    await slack.type_message(channel.id, people.alice, "resolve third-party: CDN outage")
    second = await state_of(bot, second.id, State.RESOLVED)
    assert (second.state, second.origin, second.summary) == (State.RESOLVED, Origin.THIRD_PARTY, "CDN outage")


async def test_bad_commands_get_clear_answers_and_change_nothing(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    ts = await slack.type_message(people.incidents, people.alice, "resolve")
    await wait_for(lambda: replies_to(slack, people.incidents, ts), what="answer")
    assert replies_to(slack, people.incidents, ts) == ["No incident is active: there is nothing to resolve."]
    incident = await active_incident(slack, people, bot)
    _, declared = await declare_via_workflow(slack, people, "Only declared")
    answers = {}
    for text in ("resolve INC-", "resolve INC-99999", "resolve 42abc", "resolve INC-2", "resolve now please"):
        ts = await slack.type_message(people.incidents, people.alice, text)
        answers[text] = (await wait_for(lambda t=ts: replies_to(slack, people.incidents, t), what=text))[0]
    assert "`INC-` is not an incident key" in answers["resolve INC-"]
    assert answers["resolve INC-99999"] == "There is no incident INC-99999."
    assert "`42abc` is not an incident key" in answers["resolve 42abc"]
    assert "INC-2 is not confirmed yet" in answers["resolve INC-2"]
    assert "I did not understand" in answers["resolve now please"]
    assert (await bot.store.get_incident(incident.id)).state == State.ACTIVE
    await slack.type_message(people.incidents, people.alice, "resolve INC-1")
    await state_of(bot, 1, State.RESOLVED)
    ts = await slack.type_message(people.incidents, people.bob, "resolve INC-1 internal")
    answer = (await wait_for(lambda: replies_to(slack, people.incidents, ts), what="already"))[0]
    assert answer.startswith("INC-1 was already resolved by <@" + people.alice)
    assert (await bot.store.get_incident(1)).origin is None  # the second command changed nothing
    await slack.click(people.incidents, declared.ts, "incident_cancel", people.bob)
    await state_of(bot, 2, State.CANCELLED)
    ts = await slack.type_message(people.incidents, people.bob, "resolve INC-2")
    answer = (await wait_for(lambda: replies_to(slack, people.incidents, ts), what="cancelled"))[0]
    assert answer == "INC-2 was cancelled; there is nothing to resolve."


async def test_two_people_resolving_at_once_make_one_resolution(slack: SlackEmulator, people: People, bot: Bot) -> None:
    incident = await active_incident(slack, people, bot)
    channel = channel_named(slack, "inc-1-")
    await asyncio.gather(
        slack.type_message(channel.id, people.alice, "resolve"),
        slack.type_message(channel.id, people.bob, "resolve INC-1"),
    )
    await state_of(bot, incident.id, State.RESOLVED)
    await wait_for(
        lambda: any("already resolved" in m.text for m in slack.ws.channels[channel.id].messages),
        what="the late one told",
    )
    resolutions = [e for e in await bot.store.timeline(incident.id) if e.kind == "resolved"]
    assert len(resolutions) == 1
    assert len([m for m in slack.messages(people.incidents) if "is resolved" in m.text]) == 1
    late = [m.text for m in slack.ws.channels[channel.id].messages if "already resolved" in m.text]
    assert len(late) == 1


async def test_shortcut_slash_button_and_workflow_entry_points(slack: SlackEmulator, people: People, bot: Bot) -> None:
    await slack.shortcut("resolve_incident", people.alice)
    notice = await wait_for(lambda: slack.open_view(people.alice), what="notice")
    assert "No incident is active" in str(notice["blocks"])
    slack.ws.views[notice["id"]].open = False

    first = await active_incident(slack, people, bot, "One")
    await slack.slash("/incident", "resolve INC-77", people.alice, people.incidents)
    await wait_for(lambda: slack.ephemerals_for(people.alice), what="unknown key answer")
    assert slack.ephemerals_for(people.alice)[-1] == "There is no incident INC-77."

    await slack.slash("/incident", "resolve", people.alice, people.incidents)  # one active: its modal
    view = await wait_for(lambda: slack.open_view(people.alice), what="modal")
    assert "INC-1" in str(view["blocks"][0]) and view["callback_id"] == "resolve_incident_modal"
    slack.ws.views[view["id"]].open = False

    second = await active_incident(slack, people, bot, "Two")
    await slack.slash("/incident", "resolve", people.alice, people.incidents)
    await wait_for(lambda: "resolve INC-2" in slack.ephemerals_for(people.alice)[-1], what="list")
    execution = await slack.run_function("resolve_incident", {"resolver": people.carol})  # several: which?
    await wait_for(lambda: execution.state != "pending", what="workflow refusal")
    assert execution.state == "failed" and "Several incidents are active (INC-1, INC-2)" in (execution.error or "")
    await slack.shortcut("resolve_incident", people.alice)  # several: a select of the active ones
    view = await wait_for(lambda: slack.open_view(people.alice), what="select modal")
    options = view["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == [str(first.id), str(second.id)]
    await slack.submit_view(view["id"], people.alice, {"incident": str(second.id), "origin": "third-party"})
    await state_of(bot, second.id, State.RESOLVED)

    channel = channel_named(slack, "inc-1-")
    intro = slack.messages(channel.id)[0]
    await slack.click(channel.id, intro.ts, "incident_resolve", people.carol)  # the intro's Resolve button
    view = await wait_for(lambda: slack.open_view(people.carol), what="intro modal")
    slack.ws.views[view["id"]].open = False

    execution = await slack.run_function("resolve_incident", {"resolver": people.carol, "origin": "internal"})
    await wait_for(lambda: execution.state != "pending", what="workflow resolve")
    assert execution.state == "completed" and execution.outputs["incident_key"] == "INC-1"  # type: ignore[index]
    await bot.service.drain()
    execution = await slack.run_function("resolve_incident", {"resolver": people.carol})
    await wait_for(lambda: execution.state != "pending", what="nothing left")
    assert execution.state == "failed" and "No incident is active" in (execution.error or "")


async def test_followups_create_linked_issues_and_update_the_postmortem(
    slack: SlackEmulator, jira: JiraEmulator, confluence: ConfluenceEmulator, people: People, bot: Bot
) -> None:
    incident = await active_incident(slack, people, bot)
    channel = channel_named(slack, "inc-1-")
    ts = await slack.type_message(channel.id, people.carol, "followup Add an alert on <queue> depth & lag")
    answer = (await wait_for(lambda: replies_to(slack, channel.id, ts), what="followup answer"))[0]
    assert "Follow-up #1 of INC-1 recorded" in answer and "OPS-2" in answer
    assert jira.issues["OPS-2"]["fields"]["summary"] == "Add an alert on <queue> depth & lag"
    assert jira.issues["OPS-2"]["fields"]["issuetype"] == {"name": "Task"}
    assert ("Relates", "OPS-2", "OPS-1") in jira.links
    await slack.type_message(channel.id, people.alice, "resolve INC-1 internal")
    await state_of(bot, incident.id, State.RESOLVED)
    page = next(iter(confluence.pages.values()))
    assert "Add an alert on &lt;queue&gt; depth &amp; lag" in page["body"]
    version = page["version"]
    message_ts = await slack.type_message(channel.id, people.dave, "We should add a runbook for this")
    await slack.message_shortcut("create_followup", channel.id, message_ts, people.carol)
    await wait_for(lambda: "runbook" in page["body"], what="page updated with the new follow-up")
    assert page["version"] > version
    followups = await bot.store.followups(incident.id)
    assert [f.jira_key for f in followups] == ["OPS-2", "OPS-3"]
    await slack.message_shortcut("create_followup", channel.id, message_ts, people.carol)  # same message again
    await wait_for(lambda: len(slack.ephemerals_for(people.carol)) == 2, what="second answer")
    assert slack.ephemerals_for(people.carol)[0] == slack.ephemerals_for(people.carol)[1]
    assert len(await bot.store.followups(incident.id)) == 2 and len(jira.issues) == 3
