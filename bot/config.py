"""Settings read once from an explicit environ mapping (the process passes os.environ + .env)."""

from __future__ import annotations

import re
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
    return Settings(
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=database_url,
        plans_dir=env.get("PLANS_DIR", "").strip() or "./plans",
        log_level=log_level,
        slack_timeout=timeout,
        zoom=zoom_from_env(env),
        jira=jira_from_env(env),
        confluence=confluence_from_env(env),
    )
