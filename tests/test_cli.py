"""The process edge: configuration errors are one line and exit 2; tokens never reach the logs."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.logs import Redact
from sandbox import jira as jira_emu
from sandbox import zoom as zoom_emu
from sandbox.jira import JiraEmulator
from sandbox.slack import SlackEmulator
from sandbox.slack.server import APP_TOKEN, BOT_TOKEN
from sandbox.zoom import ZoomEmulator
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "PLANS_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN: is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN: is malformed"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN: is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_run_with_bad_configuration_prints_one_line_and_exits_2(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = run(["run"], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and "Traceback" not in result.stderr
    assert "xoxb-1" not in result.stderr


def test_env_file_is_read_and_real_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_APP_TOKEN=bad\n")
    result = run(["run"], {}, tmp_path)
    assert result.returncode == 2 and "SLACK_APP_TOKEN: is malformed" in result.stderr


def test_check_offline_validates_configuration_without_slack(tmp_path: Path) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "PLANS_DIR": str(ROOT / "plans")}
    result = run(["check", "--offline"], env, tmp_path)
    assert result.returncode == 0 and "configuration: ok" in result.stdout


def test_settings_repr_hides_tokens() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-secret-1", "SLACK_APP_TOKEN": "xapp-secret-2"})
    assert "secret" not in repr(settings) and settings.slack_api_url == "https://slack.com/api/"
    with pytest.raises(ConfigError):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "ftp://x"})


def test_log_filter_redacts_tokens(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    handler_filter = Redact(["s3cr3t-value"])
    record = logger.makeRecord(
        "t",
        logging.INFO,
        __file__,
        1,
        "headers=%s other=%s",
        ({"Authorization": "Bearer xoxb-123-abc"}, "s3cr3t-value"),
        None,
    )
    handler_filter.filter(record)
    message = record.getMessage()
    assert "xoxb-123" not in message and "s3cr3t" not in message and "[redacted]" in message


async def _bot(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "PLANS_"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**clean, **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_check_against_slack_reports_a_refused_token(
    slack: SlackEmulator, people: object, tmp_path: Path
) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-wrong",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "PLANS_DIR": str(ROOT / "plans"),
    }
    code, _, err = await _bot(["check"], env, tmp_path)
    assert code == 2 and "SLACK_BOT_TOKEN: was refused by Slack (invalid_auth)" in err and "xoxb-wrong" not in err
    code, _, err = await _bot(["run"], {**env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-wrong"}, tmp_path)
    assert code == 2 and "SLACK_APP_TOKEN: was refused by Slack (invalid_auth)" in err and "xapp-wrong" not in err
    code, out, _ = await _bot(["check"], {**env, "SLACK_BOT_TOKEN": BOT_TOKEN}, tmp_path)
    assert code == 0 and "slack: ok" in out and "announce channels found" in out


async def test_a_whole_incident_at_debug_level_logs_no_token(
    env: dict[str, str], slack: SlackEmulator, zoom: ZoomEmulator, jira: JiraEmulator, people: object, tmp_path: Path
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env={**os.environ, **env, "LOG_LEVEL": "DEBUG"},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await slack.wait_connected(1, timeout=20)
        execution = await slack.run_function(
            "start_incident", {"title": "Down", "level": "P1", "reporter": people.alice}
        )  # type: ignore[attr-defined]
        decl = await wait_for(lambda: slack.messages(people.incidents), what="declaration")  # type: ignore[attr-defined]
        await slack.click(people.incidents, decl[0].ts, "incident_confirm", people.bob)  # type: ignore[attr-defined]
        await wait_for(lambda: execution.state == "completed", what="start steps", timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    log = err.decode()
    assert "event=declared" in log and "event=step_ok" in log and "event=stopping" in log
    assert "step=create_zoom_meeting" in log and "step=create_jira_ticket" in log and "DEBUG" in log
    secrets = [
        BOT_TOKEN,
        APP_TOKEN,
        zoom_emu.CLIENT_SECRET,
        jira_emu.API_TOKEN,
        *zoom.tokens,
        base64.b64encode(f"{zoom_emu.CLIENT_ID}:{zoom_emu.CLIENT_SECRET}".encode()).decode(),
        base64.b64encode(f"{jira_emu.EMAIL}:{jira_emu.API_TOKEN}".encode()).decode(),
    ]
    assert zoom.tokens and jira.issues
    for secret in secrets:
        assert secret not in log, secret
    assert "zak=" not in log  # the meeting's start URL carries the host's credentials
    assert proc.returncode == 0


def test_unreachable_slack_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "PLANS_DIR": str(ROOT / "plans"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    result = run(["run"], env, tmp_path)
    assert result.returncode == 1 and "cannot start: slack:" in result.stderr
    assert "Traceback" not in result.stderr and "xoxb-1" not in result.stderr


async def test_check_reports_each_integration(
    env: dict[str, str], slack: SlackEmulator, zoom: ZoomEmulator, jira: JiraEmulator, people: object, tmp_path: Path
) -> None:
    code, out, _ = await _bot(["check"], env, tmp_path)
    assert code == 0, out
    assert "zoom: ok (reachable, credentials accepted, as host@example.com)" in out
    assert "jira: ok (reachable, credentials accepted, as bot@example.com)" in out

    broken = {k: v for k, v in env.items() if not k.startswith("ZOOM_")}
    broken["JIRA_API_TOKEN"] = "wrong-token"
    code, out, err = await _bot(["check"], broken, tmp_path)
    assert code == 1 and "an integration is configured but does not work" in err
    assert "zoom: not configured (Zoom is not configured)" in out
    assert "jira: FAILED (configured and reachable, refused: jira: unauthorized" in out
    assert "wrong-token" not in out + err

    await jira.stop()
    code, out, _ = await _bot(["check"], env, tmp_path)
    assert code == 1 and "jira: FAILED (configured, not reachable" in out
