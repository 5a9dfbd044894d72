"""Response plans: the shipped one validates; each kind of mistake is named with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import PlanError
from bot.plans import load_plans, parse_plan

ROOT = Path(__file__).resolve().parent.parent
GOOD = """\
announce_channel: "#incidents"
levels:
  P1:
    name: Critical
    description: Everything is down
"""


def test_shipped_plan_is_valid_and_has_the_priority_matrix() -> None:
    plan = load_plans(ROOT / "plans")["default"]
    assert list(plan.levels) == ["P1", "P2", "P3", "P4"]
    assert plan.levels["P1"].description.startswith("Major service disruption: system outage")
    assert plan.levels["P2"].description.startswith("Key functionality impaired")
    assert plan.start_steps("P2") == (
        "create_channel",
        "invite_responders",
        "post_intro",
        "announce",
        "create_zoom_meeting",
        "create_jira_ticket",
    )
    assert plan.start_steps("P1")[-1] == "notify" and plan.levels["P1"].notify.usergroups == ("@management",)
    assert plan.jira.priorities == {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}
    assert "@engineering-managers" in plan.responders_for("P1").usergroups
    assert plan.permissions.confirm.empty  # anyone may confirm by default


def test_level_without_steps_gets_the_plan_default() -> None:
    plan = parse_plan(GOOD + "    on_start: [create_channel]\n  P2: {name: Major, description: Big}\n", "p.yaml")
    assert plan.start_steps("P1") == ("create_channel",)
    assert plan.start_steps("P2") == plan.on_start


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("announce_channel: [unclosed\n", "p.yaml:2: invalid YAML"),
        ("- just\n- a list\n", "p.yaml:1: a plan must be a mapping"),
        (GOOD + "levls: {}\n", "p.yaml:6: levls: Extra inputs are not permitted"),
        (GOOD.replace('"#incidents"', "incidents"), "p.yaml:1: announce_channel: must be a channel name"),
        ("announce_channel: '#x'\nlevels: {}\n", "p.yaml:2: levels: Dictionary should have at least 1 item"),
        (GOOD.replace("    description: Everything is down\n", ""), "p.yaml:3: levels.P1.description: Field required"),
        (
            GOOD + "    on_start: [create_channel, make_coffee]\n",
            "p.yaml:6: levels.P1.on_start: unknown on_start step 'make_coffee'",
        ),
        (GOOD + "    on_start: [post_intro]\n", "levels.P1.on_start: step 'post_intro' needs 'create_channel'"),
        (GOOD + "responders: {users: [alice]}\n", "p.yaml:6: responders.users: 'alice' is not a Slack user ID"),
        (GOOD + "responders: {emails: [not-an-email]}\n", "responders.emails: 'not-an-email' is not an email"),
        (GOOD + "responders: {usergroups: [sre]}\n", "responders.usergroups: 'sre' is not a user group handle"),
        (GOOD + "channel_prefix: INC!\n", "p.yaml:6: channel_prefix: must be 1-20 characters"),
        (GOOD + "on_start: create_channel\n", "p.yaml:6: on_start: Input should be a valid tuple"),
        (GOOD + "  'P 1': {name: x, description: y}\n", "level 'P 1' must be"),
    ],
)
def test_each_kind_of_mistake_is_named(text: str, expected: str) -> None:
    with pytest.raises(PlanError) as info:
        parse_plan(text, "p.yaml")
    assert any(expected in problem for problem in info.value.problems), info.value.problems


def test_load_reports_every_file_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="not a directory"):
        load_plans(tmp_path / "nope")
    with pytest.raises(PlanError, match="no plan files"):
        load_plans(tmp_path)
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text("levels: 3\n")
    with pytest.raises(PlanError) as info:
        load_plans(tmp_path)
    assert all(p.startswith(str(tmp_path / "b.yaml")) for p in info.value.problems)


def test_check_command_exit_status_and_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "default.yaml").write_text(GOOD + "    on_start: [create_channel, nope]\n")
    assert main(["check", "--plans-only"]) == 1
    err = capsys.readouterr().err
    assert "plans/default.yaml:6: levels.P1.on_start: unknown on_start step 'nope'" in err
    monkeypatch.setenv("PLANS_DIR", str(ROOT / "plans"))
    assert main(["check", "--plans-only"]) == 0
    assert "plan default: ok (4 levels: P1, P2, P3, P4)" in capsys.readouterr().out


def test_postmortem_template_is_read_and_checked(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "pm.xhtml").write_text("<h1>{key}</h1>{timeline}")
    (tmp_path / "default.yaml").write_text(GOOD + "postmortem: {template: templates/pm.xhtml}\n")
    plan = load_plans(tmp_path)["default"]
    assert plan.postmortem.text == "<h1>{key}</h1>{timeline}"
    (tmp_path / "templates" / "pm.xhtml").write_text("<h1>{key}</h1>{tiemline}")
    with pytest.raises(PlanError, match="unknown placeholder"):
        load_plans(tmp_path)
    (tmp_path / "default.yaml").write_text(GOOD + "postmortem: {template: missing.xhtml}\n")
    with pytest.raises(PlanError, match="cannot read"):
        load_plans(tmp_path)
    with pytest.raises(PlanError, match="unknown on_resolve step 'create_channel'"):
        parse_plan(GOOD + "on_resolve: [create_channel]\n", "p.yaml")


def test_packaged_plan_is_the_shipped_plan() -> None:
    """bot/default_plan.yaml (for the sandbox of a non-editable install) must match plans/default.yaml."""
    assert (ROOT / "bot" / "default_plan.yaml").read_text() == (ROOT / "plans" / "default.yaml").read_text()
