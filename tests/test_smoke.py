from sandbox.slack import SlackEmulator
from tests.conftest import People, wait_for


async def test_workflow_declares_and_confirm_creates_channel(slack: SlackEmulator, people: People, bot) -> None:
    execution = await slack.run_function("start_incident", {"title": "Checkout is down", "level": "P1",
                                                            "reporter": people.alice})
    decl = await wait_for(lambda: slack.messages(people.incidents), what="declaration")
    await slack.click(people.incidents, decl[0].ts, "incident_confirm", people.bob)
    await wait_for(lambda: execution.state != "pending", what="workflow completion")
    await bot.service.drain()
    print(slack.ws.channels)
    print([ (c.method, c.ok, c.error) for c in slack.calls])
    assert execution.state == "completed", execution
