"""The post-mortem: the whole transcript, hostile text kept as text, Confluence down, no Confluence."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import Bot
from bot.clock import FakeClock
from bot.models import Phase, State, StepStatus
from sandbox.confluence import ConfluenceEmulator, well_formed
from sandbox.slack import SlackEmulator
from sandbox.slack.workspace import Message
from tests.conftest import People, Running, channel_named, state_of, wait_for
from tests.test_resolve_e2e import active_incident


async def test_transcript_has_every_message_once_in_order_across_pages_and_a_429(
    slack: SlackEmulator, confluence: ConfluenceEmulator, people: People, bot: Bot
) -> None:
    incident = await active_incident(slack, people, bot)
    channel = channel_named(slack, "inc-1-")
    authors = [people.alice, people.bob, people.carol, people.dave]
    expected: list[str] = []
    for i in range(900):
        top = Message(slack.ws.new_ts(), authors[i % 4], f"message {i:04d} about <@{people.carol}>")
        if i % 97 == 0:
            top.files = [
                {
                    "id": f"F{i}",
                    "name": f"graph-{i}.png",
                    "title": "graph",
                    "permalink": f"https://sandbox.slack.test/files/F{i}",
                }
            ]
        channel.messages.append(top)
        expected.append(top.text.replace(f"<@{people.carol}>", "@carol"))
        if i % 9 == 0:
            for j in range(11):
                reply = Message(slack.ws.new_ts(), authors[j % 4], f"reply {i:04d}.{j:02d}", thread_ts=top.ts)
                channel.messages.append(reply)
                expected.append(reply.text)
    slack.fail("conversations.history", status=429, retry_after=1, after=2)
    await slack.type_message(channel.id, people.alice, "resolve internal: all good")
    await state_of(bot, incident.id, State.RESOLVED, timeout=20)
    steps = {s.name: s for s in await bot.store.list_steps(incident.id, Phase.RESOLVE)}
    assert steps["create_postmortem"].status == StepStatus.OK, steps["create_postmortem"].error
    history = slack.calls_to("conversations.history")
    assert [c.ok for c in history].count(False) == 1 and len([c for c in history if c.ok]) >= 5  # 5 pages
    page = next(iter(confluence.pages.values()))
    text = confluence.attachments[page["id"]]["INC-1-transcript.txt"]["content"].decode()
    found = re.findall(r"(?:message \d{4} about @carol|reply \d{4}\.\d{2})", text)
    assert found == expected  # every message once, replies right under their parent, in order
    assert "[file: graph-0.png <https://sandbox.slack.test/files/F0>]" in text
    assert "    ↳ [" in text and " alice: message 0000" in text and people.alice not in text
    assert re.search(r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\]", text)


async def test_hostile_text_stays_text_and_the_page_is_well_formed(
    slack: SlackEmulator, confluence: ConfluenceEmulator, people: People, bot: Bot
) -> None:
    title = '<script>alert(1)</script> & ]]> ünï 🔥 "q"'
    incident = await active_incident(slack, people, bot, title)
    channel = channel_named(slack, "inc-1-")
    long = ("]]> <b>bold</b> &amp; \x07 ☃ " * 200)[:3000]
    for _ in range(3):
        await slack.type_message(channel.id, people.carol, long)
    await slack.type_message(channel.id, people.carol, "followup fix <ac:link> & ]]> now")
    await wait_for(
        lambda: any("Follow-up #1" in m.text for m in slack.ws.channels[channel.id].messages), what="follow-up"
    )
    await slack.type_message(channel.id, people.alice, "resolve internal <script>x</script> & ]]>")
    await state_of(bot, incident.id, State.RESOLVED)
    page = next(iter(confluence.pages.values()))
    body = page["body"]
    assert well_formed(body) is None
    assert page["title"] == f"INC-1 post-mortem: {title}"
    markup = re.sub(r"<!\[CDATA\[.*?\]\]>", "", body, flags=re.DOTALL)  # CDATA holds text, not markup
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt;" in body
    assert "fix &lt;ac:link&gt; &amp; ]]&gt; now" in body
    assert "]]]]><![CDATA[>" in body  # a `]]>` inside the transcript's code block cannot close it
    assert "\x07" not in body


async def test_confluence_down_at_resolution_then_retry_writes_the_page_once(
    slack: SlackEmulator, confluence: ConfluenceEmulator, people: People, bot: Bot
) -> None:
    incident = await active_incident(slack, people, bot)
    await confluence.stop()
    channel = channel_named(slack, "inc-1-")
    await slack.type_message(channel.id, people.alice, "resolve internal")
    resolved = await state_of(bot, incident.id, State.RESOLVED)
    assert resolved.resolved_by == people.alice
    steps = {s.name: s for s in await bot.store.list_steps(incident.id, Phase.RESOLVE)}
    assert steps["create_postmortem"].status == StepStatus.FAILED
    assert steps["update_jira_ticket"].status == StepStatus.OK
    report = next(m for m in slack.messages(channel.id) if "after resolution did not complete" in m.text)
    assert "create_postmortem" in slack.seen(channel.id, report.ts)[0]
    await confluence.start()
    await slack.click(channel.id, report.ts, "incident_retry", people.alice)
    await wait_for(
        lambda: "All resolution steps of INC-1 are done" in slack.seen(channel.id, report.ts)[0], what="retry"
    )
    assert len(confluence.pages) == 1
    announce = next(m for m in slack.messages(people.incidents) if "is resolved" in m.text)
    await wait_for(
        lambda: "Post-mortem" in str(slack.ws.channels[people.incidents].find(announce.ts).blocks),
        what="post-mortem link in the announcement",
    )


async def test_without_confluence_the_postmortem_is_a_markdown_file_in_the_channel(
    slack: SlackEmulator, people: People, env: dict[str, str], running: Running
) -> None:
    await running.stop()
    for name in [k for k in env if k.startswith("CONFLUENCE_")]:
        del env[name]
    bot = await running.start()
    incident = await active_incident(slack, people, bot)
    channel = channel_named(slack, "inc-1-")
    await slack.type_message(channel.id, people.alice, "resolve third-party: provider down")
    await state_of(bot, incident.id, State.RESOLVED)
    uploads = [m for m in slack.messages(channel.id) if m.files]
    names = [f["name"] for m in uploads for f in m.files]
    assert names == ["INC-1-postmortem.md", "INC-1-transcript.txt"]
    markdown = next(f for f in slack.ws.files.values() if f["name"] == "INC-1-postmortem.md")["content"].decode()
    assert markdown.startswith("# INC-1 post-mortem: Checkout is down") and "Third-party provider" in markdown
    assert (await bot.store.get_incident(incident.id)).postmortem_url == uploads[0].files[0]["permalink"]


async def test_duration_across_three_days_and_a_daylight_saving_change(
    slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock
) -> None:
    paris = ZoneInfo("Europe/Paris")
    clock.set(datetime(2026, 3, 27, 23, 30, tzinfo=paris))
    incident = await active_incident(slack, people, bot)
    clock.set(datetime(2026, 3, 30, 10, 0, tzinfo=paris))  # Paris moved its clocks forward on the 29th
    await slack.type_message(people.incidents, people.alice, "resolve INC-1 internal")
    resolved = await state_of(bot, incident.id, State.RESOLVED)
    assert resolved.resolved_at - resolved.declared_at == timedelta(days=2, hours=9, minutes=30)
    announce = next(m for m in slack.messages(people.incidents) if "is resolved" in m.text)
    assert "duration 2d 9h 30m" in announce.text
