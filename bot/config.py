"""Settings read once from an explicit environ mapping (the process passes os.environ + .env)."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import ConfigError
from bot.integrations import Integration, confluence_from_env, jira_from_env, zoom_from_env
from storage.sqlite import path_from_url

_BOT_TOKEN = re.compile(r"^xoxb-[A-Za-z0-9-]+$")
_APP_TOKEN = re.compile(r"^xapp-[A-Za-z0-9-]+$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_app_token: str
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///./incidents.db"
    plans_dir: str = "./plans"
    log_level: str = "INFO"
    slack_timeout: float = 10.0
    lease_ttl: float = 15.0
    health_port: int = 8080
    instance_name: str = "incident-bot"
    sweep_interval: float = 60.0
    zoom: Integration = field(default_factory=lambda: Integration("zoom", None, "Zoom is not configured"))
    jira: Integration = field(default_factory=lambda: Integration("jira", None, "Jira is not configured"))
    confluence: Integration = field(
        default_factory=lambda: Integration("confluence", None, "Confluence is not configured")
    )

    def __repr__(self) -> str:  # never print a token, even by accident
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, database_url={self.database_url!r},"
            f" plans_dir={self.plans_dir!r}, log_level={self.log_level!r})"
        )

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every secret of the configuration, for the log filter."""
        secrets = [self.slack_bot_token, self.slack_app_token]
        if self.zoom.settings is not None:
            secrets.append(self.zoom.settings.client_secret)  # type: ignore[union-attr]
        if self.jira.settings is not None:
            secrets.append(self.jira.settings.api_token)  # type: ignore[union-attr]
        if self.confluence.settings is not None:
            secrets.append(self.confluence.settings.api_token)  # type: ignore[union-attr]
        return tuple(secrets)


def _required(env: Mapping[str, str], name: str, pattern: re.Pattern[str], example: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(name, f"is not set (expected a token like {example}...)")
    if not pattern.match(value):
        raise ConfigError(name, f"is malformed (expected a token starting with {example})")
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(name, f"must be a number between {low:g} and {high:g}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low:g} and {high:g}")
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    """Validate the environment. Raises ConfigError naming the first bad variable."""
    bot_token = _required(env, "SLACK_BOT_TOKEN", _BOT_TOKEN, "xoxb-")
    app_token = _required(env, "SLACK_APP_TOKEN", _APP_TOKEN, "xapp-")
    api_url = env.get("SLACK_API_URL", "").strip() or "https://slack.com/api/"
    if not re.match(r"^https?://[^\s/]+", api_url):
        raise ConfigError("SLACK_API_URL", "must be an http(s) URL like https://slack.com/api/")
    if not api_url.endswith("/"):
        api_url += "/"
    database_url = env.get("DATABASE_URL", "").strip() or "sqlite:///./incidents.db"
    path_from_url(database_url)
    log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")
    timeout_text = env.get("SLACK_TIMEOUT", "").strip() or "10"
    try:
        timeout = float(timeout_text)
        if not 0 < timeout <= 120:
            raise ValueError
    except ValueError:
        raise ConfigError("SLACK_TIMEOUT", "must be a number of seconds between 0 and 120") from None
    lease_ttl = _number(env, "LEASE_TTL", 15.0, 2.0, 600.0)
    health_port = int(_number(env, "HEALTH_PORT", 8080, 0, 65535))
    sweep_interval = _number(env, "SWEEP_INTERVAL", 60.0, 1.0, 3600.0)
    instance = env.get("INSTANCE_NAME", "").strip() or f"{socket.gethostname()}-{os.getpid()}"
    return Settings(
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=database_url,
        plans_dir=env.get("PLANS_DIR", "").strip() or "./plans",
        log_level=log_level,
        slack_timeout=timeout,
        lease_ttl=lease_ttl,
        health_port=health_port,
        instance_name=instance[:100],
        sweep_interval=sweep_interval,
        zoom=zoom_from_env(env),
        jira=jira_from_env(env),
        confluence=confluence_from_env(env),
    )
