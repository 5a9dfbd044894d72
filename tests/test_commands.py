"""Message commands, parsed: the grammar, and every malformed form with a clear answer."""

from __future__ import annotations

import pytest

from bot.commands import Followup, Resolve, parse
from bot.errors import InvalidInput
from bot.models import Origin


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("resolve", Resolve()),
        ("Resolve INC-42", Resolve("INC-42")),
        ("resolve inc-42", Resolve("INC-42")),
        ("  RESOLVE   INC-7  ", Resolve("INC-7")),
        ("resolve INC-42 third-party", Resolve("INC-42", Origin.THIRD_PARTY)),
        (
            "resolve INC-42 third party AWS outage in eu-west-1",
            Resolve("INC-42", Origin.THIRD_PARTY, "AWS outage in eu-west-1"),
        ),
        (
            "resolve INC-42 internal: bad deploy, rolled back",
            Resolve("INC-42", Origin.INTERNAL, "bad deploy, rolled back"),
        ),
        ("resolve internal", Resolve(None, Origin.INTERNAL)),
        ("<@U0BOT> resolve INC-3", Resolve("INC-3")),
        ("followup Add an alert on queue depth", Followup("Add an alert on queue depth")),
        ("follow-up: rotate the keys", Followup("rotate the keys")),
        ("hello there", None),
        ("resolved it already", None),
        ("please resolve INC-1", None),
    ],
)
def test_parse(text: str, command: object) -> None:
    assert parse(text) == command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("resolve INC-", "`INC-` is not an incident key"),
        ("resolve 42abc", "`42abc` is not an incident key"),
        ("resolve INC-4x2", "`INC-4x2` is not an incident key"),
        ("resolve the thing", "I did not understand `the thing`"),
        ("followup", "Say what to follow up"),
        ("followup " + "x" * 1001, "keep it to 1000"),
        ("resolve INC-1 internal " + "y" * 2001, "keep it to 2000"),
    ],
)
def test_malformed(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse(text)
