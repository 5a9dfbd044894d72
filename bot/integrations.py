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


class _Missing(Exception):
    """Why an integration is not configured (its message)."""


def _read(
    env: Mapping[str, str], label: str, prefix: str, names: tuple[str, ...], urls: dict[str, str]
) -> tuple[dict[str, str], float]:
    """The required variables (all or none), the URLs checked and `<PREFIX>_TIMEOUT`; raises _Missing."""
    values = {name: env.get(name, "").strip() for name in names}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(names):
        raise _Missing(f"{label} is not configured")
    if missing:
        raise _Missing(f"{label} is not configured: {', '.join(missing)} not set")
    for name, url in {**{n: values[n] for n in names if n.endswith("_URL")}, **urls}.items():
        if not _URL.match(url):
            raise _Missing(f"{label} is not configured: {name} is not an http(s) URL")
    try:
        timeout = float(env.get(f"{prefix}_TIMEOUT", "").strip() or "10")
    except ValueError:
        timeout = 0.0
    if not 0 < timeout <= 120:
        raise _Missing(f"{label} is not configured: {prefix}_TIMEOUT must be 0-120 seconds")
    return values, timeout


def zoom_from_env(env: Mapping[str, str]) -> Integration:
    api_url = (env.get("ZOOM_API_URL", "").strip() or "https://api.zoom.us/v2").rstrip("/")
    oauth_url = env.get("ZOOM_OAUTH_URL", "").strip() or "https://zoom.us/oauth/token"
    try:
        values, timeout = _read(
            env,
            "Zoom",
            "ZOOM",
            ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_HOST"),
            {"ZOOM_API_URL": api_url, "ZOOM_OAUTH_URL": oauth_url},
        )
    except _Missing as why:
        return Integration("zoom", None, str(why))
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
    try:
        values, timeout = _read(env, "Jira", "JIRA", ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT"), {})
    except _Missing as why:
        return Integration("jira", None, str(why))
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
    try:
        values, timeout = _read(
            env,
            "Confluence",
            "CONFLUENCE",
            ("CONFLUENCE_URL", "CONFLUENCE_EMAIL", "CONFLUENCE_API_TOKEN", "CONFLUENCE_SPACE"),
            {},
        )
        parent = env.get("CONFLUENCE_PARENT_ID", "").strip() or None
        if parent is not None and not parent.isdigit():
            raise _Missing("Confluence is not configured: CONFLUENCE_PARENT_ID must be a page id")
    except _Missing as why:
        return Integration("confluence", None, str(why))
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
