"""Jira through the `jira` package, tamed for asyncio; the `create_jira_ticket` step.

The client is synchronous (requests). It runs in a small dedicated thread pool, built without the
server-info call at construction, with no built-in retries (they sleep for minutes: the runner
retries with its own backoff), explicit connect/read timeouts and no hidden requests (no prefetch,
project and issue type given as objects).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from actions.base import NotConfigured, StepContext
from bot.errors import IntegrationError, TransientError
from bot.integrations import JiraSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_+^~!#?\-])")


def wiki_escape(text: str) -> str:
    """User text for Jira wiki markup: no macro, link, mention or formatting can come out of it."""
    return _WIKI_SPECIAL.sub(r"\\\1", text)


class JiraGateway:
    def __init__(self, settings: JiraSettings, pool: ThreadPoolExecutor) -> None:
        self.settings = settings
        self._pool = pool
        self._client: JIRA | None = None

    def _jira(self) -> JIRA:
        if self._client is None:
            timeout = self.settings.timeout
            client = JIRA(
                server=self.settings.url,
                basic_auth=(self.settings.email, self.settings.api_token),
                options={"check_update": False},
                get_server_info=False,
                validate=False,
                max_retries=0,
                timeout=(min(5.0, timeout), timeout),
            )
            # Without server info the client cannot tell Cloud (which only has the new search API)
            # from Server; the URL can.
            client.deploymentType = "Cloud" if ".atlassian.net" in self.settings.url else "Server"
            # search_issues() translates field names through GET /field; the names we use need no
            # translation, so a filled cache spares that request.
            client._fields_cache_value = {"summary": "summary", "labels": "labels"}
            self._client = client
        return self._client

    async def _run(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()

        def call() -> T:
            return fn(self._jira(), *args, **kwargs)

        try:
            return await loop.run_in_executor(self._pool, functools.partial(call))
        except JIRAError as exc:
            status = exc.status_code or 0
            if status == 429 or status >= 500:
                after = exc.response.headers.get("Retry-After") if exc.response is not None else None
                raise TransientError(
                    "jira", f"http_{status}", what, retry_after=float(after) if after and after.isdigit() else None
                ) from None
            if status in (401, 403):
                raise IntegrationError(
                    "jira",
                    "unauthorized" if status == 401 else "forbidden",
                    f"{what}: Jira refused the email or API token",
                ) from None
            raise IntegrationError("jira", f"http_{status}", f"{what}: {_reason(exc)}") from None
        except requests.exceptions.Timeout:
            raise TransientError("jira", "timeout", what) from None
        except requests.exceptions.RequestException as exc:
            raise TransientError("jira", type(exc).__name__, what) from None

    def url_of(self, key: str) -> str:
        return f"{self.settings.url}/browse/{key}"

    async def find(self, label: str) -> str | None:
        """The key of the project's issue that carries this label, if any."""
        jql = f'project = "{self.settings.project}" AND labels = "{label}"'
        issues = await self._run("search", lambda j: j.search_issues(jql, maxResults=1, fields="summary"))
        return str(issues[0].key) if issues else None

    async def create(self, fields: dict[str, Any]) -> str:
        issue = await self._run("create issue", lambda j: j.create_issue(fields=fields, prefetch=False))
        return str(issue.key)

    async def edit(self, key: str, fields: dict[str, Any], update: dict[str, Any]) -> None:
        """One PUT. (The client's Issue.update would first need a GET and reloads the issue after.)"""
        body = json.dumps({"fields": fields, "update": update})

        def put(j: JIRA) -> None:
            j._session.put(j._get_url(f"issue/{key}") + "?notifyUsers=false", data=body)

        await self._run("edit issue", put)

    async def comment(self, key: str, body: str) -> None:
        await self._run("add comment", lambda j: j.add_comment(key, body))

    async def transition_to(self, key: str, status: str) -> bool:
        """Move the issue to `status` (by transition or target status name); False when no such transition."""
        transitions = await self._run("transitions", lambda j: j.transitions(key))
        wanted = status.lower()
        match = next(
            (
                t
                for t in transitions
                if str(t.get("name", "")).lower() == wanted
                or str((t.get("to") or {}).get("name", "")).lower() == wanted
            ),
            None,
        )
        if match is None:
            return False
        await self._run("transition", lambda j: j.transition_issue(key, str(match["id"])))
        return True

    async def create_followup(self, fields: dict[str, Any], relates_to: str | None) -> str:
        key = await self.create(fields)
        if relates_to:
            await self._run("link issues", lambda j: j.create_issue_link("Relates", key, relates_to))
        return key

    async def check(self) -> str:
        """Credentials accepted and project found. Raises IntegrationError."""
        me = await self._run("myself", lambda j: j.myself())
        await self._run("project", lambda j: j.project(self.settings.project))
        return str(me.get("emailAddress") or me.get("displayName"))


def _reason(exc: JIRAError) -> str:
    text = str(exc.text or "")
    try:
        data = exc.response.json() if exc.response is not None else {}
        parts = [*data.get("errorMessages", []), *(f"{k}: {v}" for k, v in (data.get("errors") or {}).items())]
        text = "; ".join(parts) or text
    except ValueError:
        pass
    return text[:300]


async def create_jira_ticket(ctx: StepContext) -> dict[str, Any]:
    jira = ctx.integrations.jira
    if jira is None:
        raise NotConfigured(ctx.integrations.jira_problem)
    if ctx.record.result.get("key"):
        return ctx.record.result
    incident = ctx.incident
    key = await jira.find(incident.key)
    if key is None:
        level = ctx.plan.levels.get(incident.level)
        links = [f"* Slack channel: #{incident.channel_name}" if incident.channel_name else None]
        description = "\n".join(
            line
            for line in [
                f"Incident {incident.key}: {wiki_escape(incident.title)}",
                f"Level: {incident.level}" + (f" ({wiki_escape(level.name)})" if level else ""),
                f"Declared by Slack user {incident.declared_by} at {incident.declared_at:%Y-%m-%d %H:%M} UTC",
                f"Affected services: {', '.join(incident.services)}" if incident.services else None,
                *links,
            ]
            if line
        )
        fields: dict[str, Any] = {
            "project": {"key": jira.settings.project},
            "issuetype": {"name": jira.settings.issue_type},
            "summary": f"[{incident.key}] {incident.title}"[:255],
            "description": description,
            "labels": [
                incident.key,
                f"incident-{incident.level}".replace(" ", "-"),
                *(f"service-{s}" for s in incident.services),
            ],
        }
        priority = ctx.plan.jira.priorities.get(incident.level)
        if priority:
            fields["priority"] = {"name": priority}
        key = await jira.create(fields)
    return {"key": key, "url": jira.url_of(key), "label": "Jira", "link_text": key}
