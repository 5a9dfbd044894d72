"""Confirm and Cancel, the start steps and their failures, through the real Slack stack."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

from bot.app import Bot
from bot.models import Phase, State, StepStatus
from bot.plans import parse_plan
from sandbox.slack import SlackEmulator
from tests.conftest import People, channel_named, declare_via_workflow, wait_for


async def steps_of(bot: Bot, incident_id: int = 1) -> dict[str, StepStatus]:
    return {s.name: s.status for s in await bot.store.list_steps(incident_id, Phase.START)}


async def test_ten_concurrent_confirms_make_one_transition_and_one_channel(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    clickers = [slack.ws.add_user(f"user{i}").id for i in range(10)]
    slack.ws.channels[people.incidents].members.update(clickers)
    _, decl = await declare_via_workflow(slack, people)
    acks = await asyncio.gather(*(slack.click(people.incidents, decl.ts, "incident_confirm", u) for u in clickers))
    assert all(ack == {} for ack in acks)  # every click acknowledged
    await bot.service.drain()
    await wait_for(lambda: len(slack.ws.ephemerals) >= 9, what="ephemerals for the late clickers")

    assert len([c for c in slack.calls_to("conversations.create") if c.ok]) == 1
    assert len([c for c in slack.ws.channels.values() if c.name.startswith("inc-1")]) == 1
    incident = await bot.store.get_incident(1)
    assert incident.state == State.ACTIVE and incident.confirmed_by in clickers
    confirmations = [e for e in await bot.store.timeline(1) if e.kind == "confirmed"]
    assert len(confirmations) == 1
    late = [e for e in slack.ws.ephemerals if e.user != incident.confirmed_by]
    assert len(late) == 9 and all(f"already confirmed by <@{incident.confirmed_by}>" in e.text for e in late)


async def test_redelivered_envelope_confirms_once(slack: SlackEmulator, people: People, bot: Bot) -> None:
    _, decl = await declare_via_workflow(slack, people)
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob, envelope_id="env-same")
    await slack.redeliver("env-same")
    await bot.service.drain()
    assert len([c for c in slack.calls_to("conversations.create") if c.ok]) == 1
    assert len([e for e in await bot.store.timeline(1) if e.kind == "confirmed"]) == 1


async def test_confirm_after_cancel_is_refused_and_changes_nothing(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    _, decl = await declare_via_workflow(slack, people)
    stale = copy.deepcopy(decl.blocks)  # someone's client has not refreshed the message yet
    await slack.click(people.incidents, decl.ts, "incident_cancel", people.bob)
    await wait_for(lambda: "Cancelled by" in slack.seen(people.incidents, decl.ts)[0], what="cancelled render")
    decl.blocks = stale
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.carol)
    await wait_for(lambda: slack.ephemerals_for(people.carol), what="refusal")
    assert "already cancelled by <@" + people.bob in slack.ephemerals_for(people.carol)[0]
    assert (await bot.store.get_incident(1)).state == State.CANCELLED
    assert not slack.calls_to("conversations.create")


async def test_channel_names_handle_collisions_length_emoji_and_accents(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    archived = slack.ws.add_channel("inc-1-checkout-is-down")
    archived.is_archived = True  # an archived channel keeps its name
    titles = ["Checkout is down", "é" * 3 + " " + "Ω" * 10 + " " + "x" * 135, "🔥🔥🔥", "Paiement échoué à Zürich!"]
    for title in titles:
        _, decl = await declare_via_workflow(slack, people, title, "P3")
        await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
        await bot.service.drain()
    names = [c.name for c in slack.ws.channels.values() if c.creator == slack.ws.bot.id]
    assert names[0] == "inc-1-checkout-is-down-2"
    assert names[1].startswith("inc-2-eee-ooooooooo") and len(names[1]) == 80
    assert names[2] == "inc-3"
    assert names[3] == "inc-4-paiement-echoue-a-zurich"
    for incident_id in range(1, 5):
        assert set((await steps_of(bot, incident_id)).values()) == {StepStatus.OK}


async def test_user_text_is_shown_as_text_never_as_a_ping_or_link(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    title = "<!channel> @here <@U123> <https://evil.example|click> & *bold*"
    _, decl = await declare_via_workflow(slack, people, title, "P2")
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    channel = channel_named(slack, "inc-1")
    assert channel.name == "inc-1-channel-here-u123-https-evil-example-click-bold"
    checked = [
        (people.incidents, decl.ts),
        (channel.id, slack.messages(channel.id)[0].ts),
        *((people.incidents, m.ts) for m in slack.messages(people.incidents, thread_ts=decl.ts)),
    ]
    for where, ts in checked:
        _, entities = slack.seen(where, ts)
        for entity in entities:  # only the bot's own mentions and links, none made of the title
            assert not entity.startswith("broadcast:"), (where, entities)
            assert entity not in ("user:U123", "link:https://evil.example"), (where, entities)
            allowed = (
                "user:",
                "channel:",
                "link:https://sandbox.slack.test/",
                "link:https://zoom.example/",
                f"link:{bot.settings.jira.settings.url}/browse/",
            )  # type: ignore[union-attr]
            assert entity.startswith(allowed), entity
    for where, ts in checked[:2]:  # declaration and intro show the title as it was typed
        assert title in slack.seen(where, ts)[0]
    for message in [slack.ws.channels[w].find(ts) for w, ts in checked]:
        assert message is not None and "<!channel>" not in message.text and "<@U123>" not in message.text


async def test_transient_slack_errors_are_retried(slack: SlackEmulator, people: People, bot: Bot) -> None:
    slack.fail("conversations.create", status=429, retry_after=1)
    slack.fail("conversations.invite", status=503, retry_after=None)
    slack.fail("usergroups.users.list", error="internal_error", times=1)
    _, decl = await declare_via_workflow(slack, people)
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    assert set((await steps_of(bot)).values()) == {StepStatus.OK}
    creates = slack.calls_to("conversations.create")
    assert [c.ok for c in creates] == [False, True]
    assert creates[1].at - creates[0].at >= 1.0  # Retry-After honoured
    assert [c.ok for c in slack.calls_to("conversations.invite")] == [False, True]


async def test_failed_channel_skips_only_its_dependants_and_retry_finishes(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    slack.fail("conversations.create", error="restricted_action", times=1)
    execution, decl = await declare_via_workflow(slack, people)
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    assert await steps_of(bot) == {
        "create_channel": StepStatus.FAILED,
        "invite_responders": StepStatus.SKIPPED,
        "post_intro": StepStatus.SKIPPED,
        "announce": StepStatus.OK,  # company-wide visibility does not wait for the channel
        "create_zoom_meeting": StepStatus.OK,
        "create_jira_ticket": StepStatus.OK,
        "notify": StepStatus.OK,  # management is alerted even without a channel
    }
    # the workflow is not left hanging; it gets the key and an empty channel
    assert execution.state == "completed" and execution.outputs == {"incident_key": "INC-1", "channel_id": ""}
    thread = slack.messages(people.incidents, thread_ts=decl.ts)
    report = next(m for m in thread if "did not complete" in m.text)
    shown, _ = slack.seen(people.incidents, report.ts)
    assert "create_channel" in shown and "restricted_action" in shown and "invite_responders" in shown

    await slack.click(people.incidents, report.ts, "incident_retry", people.bob)
    await wait_for(lambda: slack.calls_to("conversations.create")[-1].ok, what="retried create")
    await bot.service.drain()
    assert set((await steps_of(bot)).values()) == {StepStatus.OK}
    assert "All steps of INC-1 are done" in slack.seen(people.incidents, report.ts)[0]
    assert channel_named(slack, "inc-1-") is not None
    retries = [e for e in await bot.store.timeline(1) if e.kind == "retry"]
    assert retries[0].actor == people.bob and retries[0].detail["steps"][0] == "create_channel"


async def test_a_level_removed_from_the_plan_after_declaration_still_confirms(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    _, decl = await declare_via_workflow(slack, people, level="P4")
    text = (Path(bot.settings.plans_dir) / "default.yaml").read_text().split("  P4:")[0].replace(", P4: Low", "")
    bot.service.plans = {"default": parse_plan(text, "default.yaml")}  # someone deployed a new plan
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    assert set((await steps_of(bot)).values()) == {StepStatus.OK}
    assert "P4" in slack.seen(people.incidents, decl.ts)[0]
