"""The Slack emulator answers as Slack does, so that tests against it can fail for the right reasons."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Bot
from bot.models import StepStatus
from sandbox.slack import SlackEmulator
from sandbox.slack.blockkit import BlockError, render_mrkdwn, validate_blocks, validate_view
from sandbox.slack.server import BOT_TOKEN
from tests.conftest import People, declare_via_workflow, wait_for


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "less than 151"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "less than 3001"),
        ([{"type": "divider"}] * 51, "at most 50"),
        (
            [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}]}],
            "less than 76",
        ),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "plain_text"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}], "at most 10"),
        ([{"type": "carousel"}], "unsupported block type"),
    ],
)
def test_block_kit_limits(blocks: list[dict[str, object]], message: str) -> None:
    with pytest.raises(BlockError, match=message):
        validate_blocks(blocks)


def test_view_limits() -> None:
    with pytest.raises(BlockError, match=r"view\.title"):
        validate_view({"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []})
    with pytest.raises(BlockError, match="private_metadata"):
        validate_view(
            {
                "type": "modal",
                "title": {"type": "plain_text", "text": "x"},
                "blocks": [],
                "private_metadata": "x" * 3001,
            }
        )


def test_mrkdwn_rendering_finds_pings_and_links() -> None:
    shown, entities = render_mrkdwn("hi <@U1> <!here> <#C1> <https://x.test|site> &lt;!channel&gt;")
    assert shown == "hi @U1 @here #C1 site <!channel>"
    assert entities == ["user:U1", "broadcast:here", "channel:C1", "link:https://x.test"]


async def test_web_api_rules(slack: SlackEmulator, people: People) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=people.incidents, text="hi")
    assert info.value.response["error"] == "not_in_channel"
    for name, error in [
        ("UPPER", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("incidents", "name_taken"),
    ]:
        with pytest.raises(SlackApiError) as info:
            await client.conversations_create(name=name)
        assert info.value.response["error"] == error
    created = await client.conversations_create(name="inc-1-x")
    channel = created["channel"]["id"]
    with pytest.raises(SlackApiError) as info:
        await client.conversations_invite(channel=channel, users=[people.alice, "U404"])
    assert info.value.response["error"] == "user_not_found"
    forced = await client.conversations_invite(channel=channel, users=[people.alice, "U404"], force=True)
    assert forced["errors"] == [{"user": "U404", "ok": False, "error": "user_not_found"}]
    with pytest.raises(SlackApiError) as info:
        await client.conversations_invite(channel=channel, users=[people.alice])
    assert info.value.response["error"] == "already_in_channel"
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(
            channel=channel, blocks=[{"type": "header", "text": {"type": "plain_text", "text": "x" * 200}}], text="t"
        )
    assert info.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as info:
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert info.value.response["error"] == "invalid_auth"


async def test_bot_reconnects_when_slack_refreshes_the_connection(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    opened = slack.connections_opened
    await slack.refresh_connections()
    await wait_for(lambda: slack.connections_opened > opened and slack.connected == 1, what="reconnection")
    _, decl = await declare_via_workflow(slack, people)
    assert "INC-1" in decl.text


async def test_forged_button_values_get_a_clear_answer(slack: SlackEmulator, people: People, bot: Bot) -> None:
    _, decl = await declare_via_workflow(slack, people)
    for value in ("not-a-number", "99999:on_start", "x" * 3000):
        decl.blocks[2]["elements"][0]["value"] = value
        before = len(slack.ephemerals_for(people.bob))
        await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
        await wait_for(lambda b=before: len(slack.ephemerals_for(people.bob)) > b, what="answer")
    answers = slack.ephemerals_for(people.bob)
    assert "not one of the incident bot's" in answers[0]
    assert answers[1] == "INC-99999 does not exist"
    assert (await bot.store.get_incident(1)).state == "declared"


async def test_invitations_go_in_batches_of_100(slack: SlackEmulator, people: People, bot: Bot) -> None:
    group = slack.ws.group_by_handle("sre-oncall")
    assert group is not None
    group.users.extend(slack.ws.add_user(f"oncall{i}").id for i in range(150))
    _, decl = await declare_via_workflow(slack, people, level="P3")
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    sizes = [len(str(c.args["users"]).split(",")) for c in slack.calls_to("conversations.invite")]
    assert sizes == [100, 53]  # 151 in the group + alice (declarer) + bob (confirmer)


def test_rate_limiter_tiers() -> None:
    from sandbox.slack.limits import RateLimiter

    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.retry_after("conversations.create") for _ in range(20)] == [None] * 20
    assert limiter.retry_after("conversations.create") == 60  # Tier 2: 20 per minute
    now[0] = 60.5
    assert limiter.retry_after("conversations.create") is None
    assert [limiter.retry_after("chat.postMessage", "C1") for _ in range(3)] == [None] * 3
    assert limiter.retry_after("chat.postMessage", "C1") == 3  # about one per second per channel
    assert limiter.retry_after("chat.postMessage", "C2") is None


async def test_enforced_rate_limits_are_retried_by_the_bot(slack: SlackEmulator, people: People, bot: Bot) -> None:
    from sandbox.slack.limits import RateLimiter

    slack.limiter = RateLimiter(scale=0.5)  # the same counts in half the time
    for _ in range(3):
        _, decl = await declare_via_workflow(slack, people, level="P4")
        await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    assert any(c.error == "ratelimited" for c in slack.calls)
    for incident_id in (1, 2, 3):
        assert {s.status for s in await bot.store.list_steps(incident_id, "on_start")} == {StepStatus.OK}
