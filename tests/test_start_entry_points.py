"""The three ways to declare (workflow step, shortcut + modal, slash command), through Socket Mode."""

from __future__ import annotations

from bot.app import Bot
from bot.models import State
from sandbox.slack import SlackEmulator
from tests.conftest import People, channel_named, declare_via_workflow, wait_for


async def test_workflow_step_declares_then_completes_with_outputs_on_confirm(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    execution, decl = await declare_via_workflow(slack, people, "Checkout is down", "P1")
    shown, _ = slack.seen(people.incidents, decl.ts)
    assert "INC-1: Checkout is down" in shown and "P1 · Critical" in shown and "@" + people.alice in shown
    assert [b["action_id"] for b in decl.blocks[2]["elements"]] == ["incident_confirm", "incident_cancel"]
    assert (await bot.store.get_incident(1)).state == State.DECLARED
    assert execution.state == "pending"  # the step waits for a person to confirm

    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await wait_for(lambda: execution.state != "pending", what="workflow step completion")
    await bot.service.drain()

    channel = channel_named(slack, "inc-1-")
    assert channel is not None and channel.name == "inc-1-checkout-is-down"
    assert execution.state == "completed"
    assert execution.outputs == {"incident_key": "INC-1", "channel_id": channel.id}
    assert channel.topic == "INC-1 · P1 Critical · Checkout is down"
    # plan responders (@sre-oncall: carol), P1 responders (@engineering-managers: dave), declarer, confirmer
    assert {people.alice, people.bob, people.carol, people.dave} <= channel.members
    intro_text, _ = slack.seen(channel.id, slack.messages(channel.id)[0].ts)
    assert "INC-1: Checkout is down" in intro_text and "Confirmed by" in intro_text
    assert "message in the announce channel" in intro_text
    # the declaration now says who confirmed and links the channel; the thread announces it
    shown, entities = slack.seen(people.incidents, decl.ts)
    assert "Confirmed by @" + people.bob in shown and f"channel:{channel.id}" in entities
    assert not any(b["type"] == "actions" for b in slack.ws.channels[people.incidents].find(decl.ts).blocks)
    replies = slack.messages(people.incidents, thread_ts=decl.ts)
    assert len(replies) == 1 and f"<#{channel.id}>" in replies[0].text

    incident = await bot.store.get_incident(1)
    assert incident.state == State.ACTIVE and incident.confirmed_by == people.bob
    kinds = [(e.kind, e.actor) for e in await bot.store.timeline(1)]
    assert kinds[:2] == [("declared", people.alice), ("confirmed", people.bob)]


async def test_workflow_step_fails_clearly_when_cancelled(slack: SlackEmulator, people: People, bot: Bot) -> None:
    execution, decl = await declare_via_workflow(slack, people)
    await slack.click(people.incidents, decl.ts, "incident_cancel", people.bob)
    await wait_for(lambda: execution.state != "pending", what="workflow step failure")
    assert execution.state == "failed" and "INC-1 was cancelled" in (execution.error or "")
    shown, _ = slack.seen(people.incidents, decl.ts)
    assert "Cancelled by @" + people.bob in shown and "Cancelled" in shown
    assert (await bot.store.get_incident(1)).state == State.CANCELLED
    assert not slack.calls_to("conversations.create")
    assert (await bot.store.get_incident(1)).cancelled_by == people.bob


async def test_workflow_step_with_bad_inputs_fails_and_stores_nothing(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    for inputs, expected in [
        ({"title": "Down", "level": "P9", "reporter": people.alice}, "Unknown level"),
        ({"title": "   ", "level": "P1", "reporter": people.alice}, "title is empty"),
        ({"title": "x" * 151, "level": "P1", "reporter": people.alice}, "keep it to 150"),
        ({"title": "Down", "level": "P1"}, "who reports"),
        ({"title": ["not", "text"], "level": "P1", "reporter": people.alice}, "must be text"),
    ]:
        execution = await slack.run_function("start_incident", inputs)
        await wait_for(lambda e=execution: e.state != "pending", what="failure")
        assert execution.state == "failed" and expected in (execution.error or ""), execution
    assert not slack.messages(people.incidents)
    assert await bot.store.undeclared_messages() == []


async def test_shortcut_opens_modal_with_priority_matrix_and_submission_declares(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    await slack.shortcut("start_incident", people.alice)
    view = await wait_for(lambda: slack.open_view(people.alice), what="modal")
    matrix = view["blocks"][2]["text"]["text"]
    assert "Major service disruption" in matrix and "Key functionality impaired" in matrix
    options = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == ["P1", "P2", "P3", "P4"]
    assert view["blocks"][0]["element"]["max_length"] == 150

    ack = await slack.submit_view(view["id"], people.alice, {"title": "Login fails for EU", "level": "P2"})
    assert ack == {}
    decl = await wait_for(lambda: slack.messages(people.incidents), what="declaration")
    assert "INC-1: Login fails for EU" in slack.seen(people.incidents, decl[0].ts)[0]
    incident = await bot.store.get_incident(1)
    assert (incident.source, incident.level, incident.declared_by) == ("modal", "P2", people.alice)


async def test_modal_refuses_bad_input_inline_and_stores_nothing(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    await slack.shortcut("start_incident", people.alice)
    view = await wait_for(lambda: slack.open_view(people.alice), what="modal")
    ack = await slack.submit_view(view["id"], people.alice, {"title": "  ", "level": "P1"})
    assert ack["response_action"] == "errors" and "empty" in ack["errors"]["title"]
    ack = await slack.submit_view(view["id"], people.alice, {"title": "Down", "level": "P7"})  # forged
    assert ack["response_action"] == "errors" and "Unknown level" in ack["errors"]["level"]
    ack = await slack.submit_view(view["id"], people.alice, {"title": "x" * 400, "level": "P1"})  # forged
    assert ack["response_action"] == "errors" and "150" in ack["errors"]["title"]
    assert not slack.messages(people.incidents)
    assert await bot.store.undeclared_messages() == []


async def test_slash_command_start_prefills_title_and_help(slack: SlackEmulator, people: People, bot: Bot) -> None:
    ack = await slack.slash("/incident", "start Payments are slow", people.bob, people.incidents)
    assert ack == {}
    view = await wait_for(lambda: slack.open_view(people.bob), what="modal")
    assert view["blocks"][0]["element"]["initial_value"] == "Payments are slow"
    await slack.submit_view(view["id"], people.bob, {"title": "Payments are slow", "level": "P3"})
    await wait_for(lambda: slack.messages(people.incidents), what="declaration")
    await wait_for(lambda: slack.ephemerals_for(people.bob), what="ephemeral note")
    assert "INC-1 is declared" in slack.ephemerals_for(people.bob)[0]

    assert "/incident start" in (await slack.slash("/incident", "", people.bob, people.incidents))["text"]
    ack = await slack.slash("/incident", "<!channel> frobnicate", people.bob, people.incidents)
    assert ack["text"].startswith("Unknown command") and "<!channel>" not in ack["text"]
