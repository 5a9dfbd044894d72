"""Titles, channel names and escaping: pure rules, tested as tables."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.naming import channel_name, clean_title, escape, slugify


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Checkout is down", "inc-42-checkout-is-down"),
        ("Café: payments 🔥 DOWN!", "inc-42-cafe-payments-down"),
        ("🔥🔥🔥", "inc-42"),
        ("!!!", "inc-42"),
        ("Ünïcödé ßtraße — API/v2", "inc-42-unicode-sstrasse-api-v2"),
        ("Don't panic", "inc-42-dont-panic"),
        ("snake_case stays", "inc-42-snake-case-stays"),
        ("👩‍💻 dev env broken", "inc-42-dev-env-broken"),
        ("Zürich  &  Genève", "inc-42-zurich-geneve"),
    ],
)
def test_channel_name(title: str, name: str) -> None:
    assert channel_name("inc", 42, title) == name


@pytest.mark.parametrize("title", ["x" * 150, "word " * 30, "é" * 150, "a-" * 75])
def test_channel_name_fits_80_characters_with_suffix(title: str) -> None:
    for attempt in (1, 2, 10, 20):
        name = channel_name("incident", 123456, title, attempt)
        assert len(name) <= 80
        assert name.startswith("incident-123456")
        assert not name.endswith("-")
        assert all(c.isascii() and (c.isalnum() or c in "-_") and not c.isupper() for c in name)
        if attempt > 1:
            assert name.endswith(f"-{attempt}")


def test_slug_only_keeps_allowed_characters() -> None:
    assert slugify("<!channel> @here <@U123>") == "channel-here-u123"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  Checkout\n is   down ", "Checkout is down"), ("a\tb\x00c", "a b c"), ("x" * 150, "x" * 150)],
)
def test_clean_title(raw: str, clean: str) -> None:
    assert clean_title(raw) == clean


@pytest.mark.parametrize(("raw", "message"), [("", "empty"), ("  \n ", "empty"), ("x" * 151, "150"), (None, "text")])
def test_clean_title_refuses(raw: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        clean_title(raw)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil|click>", "&lt;https://evil|click&gt;"),
        ("R&D", "R&amp;D"),
        ("@here and @channel and @everyone", "@\u2060here and @\u2060channel and @\u2060everyone"),
        ("mail me@here.com", "mail me@\u2060here.com"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped
