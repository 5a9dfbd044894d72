"""A Jira emulator: the REST endpoints the `jira` client calls, answering as Jira does."""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

from aiohttp import web

from sandbox.faults import FaultyServer

EMAIL = "bot@example.com"
API_TOKEN = "sandbox-jira-token"
PROJECT = "OPS"
ISSUE_TYPES = ("Incident", "Bug", "Task")
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")


def _errors(status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"errorMessages": messages or [], "errors": errors or {}}, status=status)


class JiraEmulator(FaultyServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.projects = {PROJECT: {"id": "10000", "key": PROJECT, "name": "Operations"}}
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.links: list[tuple[str, str, str]] = []
        self._ids = itertools.count(10001)
        self._numbers: dict[str, itertools.count[int]] = {}

    def routes(self, app: web.Application) -> None:
        for version in ("2", "3"):
            base = f"/rest/api/{version}"
            app.router.add_get(f"{base}/serverInfo", self.server_info)
            app.router.add_get(f"{base}/myself", self.myself)
            app.router.add_get(f"{base}/project/{{key}}", self.project)
            app.router.add_post(f"{base}/issue", self.create)
            app.router.add_get(f"{base}/issue/{{key}}", self.get)
            app.router.add_put(f"{base}/issue/{{key}}", self.update)
            app.router.add_post(f"{base}/issue/{{key}}/comment", self.comment)
            app.router.add_route("*", f"{base}/search", self.search)
            app.router.add_route("*", f"{base}/search/jql", self.search)
            app.router.add_get(f"{base}/field", self.fields)
            app.router.add_get(f"{base}/issue/{{key}}/transitions", self.transitions)
            app.router.add_post(f"{base}/issue/{{key}}/transitions", self.transition)
            app.router.add_get(f"{base}/issueLinkType", self.link_types)
            app.router.add_post(f"{base}/issueLink", self.link)

    def _auth(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _issue_json(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": issue["id"],
            "key": issue["key"],
            "self": f"{self.url}/rest/api/2/issue/{issue['id']}",
            "fields": issue["fields"],
        }

    async def server_info(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "baseUrl": self.url,
                "version": "1001.0.0",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Server",
                "serverTitle": "Sandbox Jira",
            }
        )

    async def myself(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        return web.json_response(
            {
                "accountId": "5b10ac8d82e05b22cc7d4ef5",
                "emailAddress": EMAIL,
                "displayName": "Incident Bot",
                "active": True,
            }
        )

    async def project(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        project = self.projects.get(request.match_info["key"])
        if project is None:
            return _errors(404, [f"No project could be found with key '{request.match_info['key']}'."])
        return web.json_response({**project, "issueTypes": [{"name": n} for n in ISSUE_TYPES]})

    async def fields(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        return web.json_response(
            [{"id": f, "name": f.title(), "clauseNames": [f]} for f in ("summary", "labels", "priority", "description")]
        )

    async def create(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        body = await request.json()
        fields = dict(body.get("fields") or {})
        errors: dict[str, str] = {}
        project_ref = fields.get("project") or {}
        project = next(
            (
                p
                for p in self.projects.values()
                if project_ref.get("key") == p["key"] or project_ref.get("id") == p["id"]
            ),
            None,
        )
        if project is None:
            errors["project"] = "valid project is required"
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            errors["issuetype"] = "valid issue type is required"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255 or "\n" in summary:
            errors["summary"] = "Summary must be less than 255 characters and on one line."
        if "priority" in fields and (fields["priority"] or {}).get("name") not in PRIORITIES:
            errors["priority"] = "Specify a valid priority"
        for label in fields.get("labels") or []:
            if not isinstance(label, str) or " " in label or len(label) > 255:
                errors["labels"] = "Labels cannot contain spaces"
        if errors or project is None:
            return _errors(400, errors=errors)
        number = next(self._numbers.setdefault(project["key"], itertools.count(1)))
        key = f"{project['key']}-{number}"
        issue: dict[str, Any] = {
            "id": str(next(self._ids)),
            "key": key,
            "fields": {**fields, "project": project, "status": {"name": "Open"}},
        }
        self.issues[key] = issue
        return web.json_response(
            {"id": issue["id"], "key": issue["key"], "self": f"{self.url}/rest/api/2/issue/{issue['id']}"}, status=201
        )

    def _find(self, key: str) -> dict[str, Any] | None:
        return self.issues.get(key) or next((i for i in self.issues.values() if i["id"] == key), None)

    async def get(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        issue = self._find(request.match_info["key"])
        if issue is None:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        return web.json_response(self._issue_json(issue))

    async def update(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        issue = self._find(request.match_info["key"])
        if issue is None:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        body = await request.json()
        issue["fields"].update(body.get("fields") or {})
        for name, operations in (body.get("update") or {}).items():
            for op in operations:
                if "add" in op and op["add"] not in issue["fields"].setdefault(name, []):
                    if name == "labels" and " " in str(op["add"]):
                        return _errors(400, errors={"labels": "Labels cannot contain spaces"})
                    issue["fields"][name].append(op["add"])
                if "remove" in op and op["remove"] in issue["fields"].get(name, []):
                    issue["fields"][name].remove(op["remove"])
                if "set" in op:
                    issue["fields"][name] = op["set"]
        return web.Response(status=204)

    TRANSITIONS: tuple[dict[str, Any], ...] = (
        {"id": "11", "name": "Start", "to": {"name": "In Progress"}},
        {"id": "31", "name": "Resolve", "to": {"name": "Done"}},
    )

    async def transitions(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        if self._find(request.match_info["key"]) is None:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        return web.json_response({"transitions": list(self.TRANSITIONS)})

    async def transition(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        issue = self._find(request.match_info["key"])
        if issue is None:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        wanted = str(((await request.json()).get("transition") or {}).get("id"))
        match = next((t for t in self.TRANSITIONS if t["id"] == wanted), None)
        if match is None:
            return _errors(400, ["It seems that you have tried to perform an invalid workflow operation."])
        issue["fields"]["status"] = {"name": match["to"]["name"]}
        return web.Response(status=204)

    async def link_types(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        return web.json_response(
            {
                "issueLinkTypes": [
                    {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
                    {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
                ]
            }
        )

    async def link(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        body = await request.json()
        inward = self._find(str((body.get("inwardIssue") or {}).get("key")))
        outward = self._find(str((body.get("outwardIssue") or {}).get("key")))
        if inward is None or outward is None:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        self.links.append((str((body.get("type") or {}).get("name")), inward["key"], outward["key"]))
        return web.Response(status=201)

    async def comment(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        issue = self._find(request.match_info["key"])
        if issue is None:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        body = await request.json()
        comment = {"id": str(next(self._ids)), "body": body.get("body", "")}
        self.comments.setdefault(issue["key"], []).append(comment)
        return web.json_response(comment, status=201)

    async def search(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return _errors(401, ["Client must be authenticated to access this resource."])
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            params.update(await request.json())
        jql = str(params.get("jql") or "")
        found = list(self.issues.values())
        project = re.search(r'project\s*=\s*"?([\w-]+)"?', jql, re.IGNORECASE)
        if project:
            found = [i for i in found if i["fields"]["project"]["key"] == project.group(1)]
        for label in re.findall(r'labels\s*=\s*"?([^"\s)]+)"?', jql, re.IGNORECASE):
            found = [i for i in found if label in (i["fields"].get("labels") or [])]
        start = int(params.get("startAt") or 0)
        size = int(params.get("maxResults") or 50)
        page = found[start : start + size]
        return web.json_response(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(found),
                "isLast": True,
                "issues": [self._issue_json(i) for i in page],
            }
        )
