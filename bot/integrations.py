"""Optional integrations (Zoom, Jira): their settings, read from the environment, never required."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_URL = re.compile(r"^https?://[^\s/]+")


@dataclass(frozen=True)
class ZoomSettings:
    account_id: str
    client_id: str
    client_secret: str
    host: str
    api_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"
    timeout: float = 10.0

    def __repr__(self) -> str:
        return f"ZoomSettings(host={self.host!r}, api_url={self.api_url!r})"


@dataclass(frozen=True)
class JiraSettings:
    url: str
    email: str
    api_token: str
    project: str
    issue_type: str = "Incident"
    timeout: float = 10.0

    def __repr__(self) -> str:
        return f"JiraSettings(url={self.url!r}, project={self.project!r})"


@dataclass(frozen=True)
class ConfluenceSettings:
    url: str
    """The wiki's base, e.g. https://yourcompany.atlassian.net/wiki (the REST API is under /rest/api)."""
    email: str
    api_token: str
    space: str
    parent_id: str | None = None
    timeout: float = 10.0

    def __repr__(self) -> str:
        return f"ConfluenceSettings(url={self.url!r}, space={self.space!r})"


@dataclass(frozen=True)
class Integration:
    """Whether an integration can be used; `problem` says why not (for logs and `incident-bot check`)."""

    name: str
    settings: ZoomSettings | JiraSettings | ConfluenceSettings | None
    problem: str | None = None

    @property
    def configured(self) -> bool:
        return self.settings is not None


def _read(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    values = {name: env.get(name, "").strip() for name in names}
    return values, [name for name, value in values.items() if not value]


def _timeout(env: Mapping[str, str], name: str) -> float | None:
    text = env.get(name, "").strip() or "10"
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value <= 120 else None


def zoom_from_env(env: Mapping[str, str]) -> Integration:
    names = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_HOST")
    values, missing = _read(env, names)
    if len(missing) == len(names):
        return Integration("zoom", None, "Zoom is not configured")
    if missing:
        return Integration("zoom", None, f"Zoom is not configured: {', '.join(missing)} not set")
    api_url = (env.get("ZOOM_API_URL", "").strip() or "https://api.zoom.us/v2").rstrip("/")
    oauth_url = env.get("ZOOM_OAUTH_URL", "").strip() or "https://zoom.us/oauth/token"
    for name, url in (("ZOOM_API_URL", api_url), ("ZOOM_OAUTH_URL", oauth_url)):
        if not _URL.match(url):
            return Integration("zoom", None, f"Zoom is not configured: {name} is not an http(s) URL")
    timeout = _timeout(env, "ZOOM_TIMEOUT")
    if timeout is None:
        return Integration("zoom", None, "Zoom is not configured: ZOOM_TIMEOUT must be 0-120 seconds")
    return Integration(
        "zoom",
        ZoomSettings(
            values["ZOOM_ACCOUNT_ID"],
            values["ZOOM_CLIENT_ID"],
            values["ZOOM_CLIENT_SECRET"],
            values["ZOOM_HOST"],
            api_url,
            oauth_url,
            timeout,
        ),
    )


def jira_from_env(env: Mapping[str, str]) -> Integration:
    names = ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT")
    values, missing = _read(env, names)
    if len(missing) == len(names):
        return Integration("jira", None, "Jira is not configured")
    if missing:
        return Integration("jira", None, f"Jira is not configured: {', '.join(missing)} not set")
    if not _URL.match(values["JIRA_URL"]):
        return Integration("jira", None, "Jira is not configured: JIRA_URL is not an http(s) URL")
    timeout = _timeout(env, "JIRA_TIMEOUT")
    if timeout is None:
        return Integration("jira", None, "Jira is not configured: JIRA_TIMEOUT must be 0-120 seconds")
    return Integration(
        "jira",
        JiraSettings(
            values["JIRA_URL"].rstrip("/"),
            values["JIRA_EMAIL"],
            values["JIRA_API_TOKEN"],
            values["JIRA_PROJECT"],
            env.get("JIRA_ISSUE_TYPE", "").strip() or "Incident",
            timeout,
        ),
    )


def confluence_from_env(env: Mapping[str, str]) -> Integration:
    names = ("CONFLUENCE_URL", "CONFLUENCE_EMAIL", "CONFLUENCE_API_TOKEN", "CONFLUENCE_SPACE")
    values, missing = _read(env, names)
    if len(missing) == len(names):
        return Integration("confluence", None, "Confluence is not configured")
    if missing:
        return Integration("confluence", None, f"Confluence is not configured: {', '.join(missing)} not set")
    if not _URL.match(values["CONFLUENCE_URL"]):
        return Integration("confluence", None, "Confluence is not configured: CONFLUENCE_URL is not an http(s) URL")
    timeout = _timeout(env, "CONFLUENCE_TIMEOUT")
    if timeout is None:
        return Integration("confluence", None, "Confluence is not configured: CONFLUENCE_TIMEOUT must be 0-120 s")
    parent = env.get("CONFLUENCE_PARENT_ID", "").strip() or None
    if parent is not None and not parent.isdigit():
        return Integration("confluence", None, "Confluence is not configured: CONFLUENCE_PARENT_ID must be a page id")
    return Integration(
        "confluence",
        ConfluenceSettings(
            values["CONFLUENCE_URL"].rstrip("/"),
            values["CONFLUENCE_EMAIL"],
            values["CONFLUENCE_API_TOKEN"],
            values["CONFLUENCE_SPACE"],
            parent,
            timeout,
        ),
    )
