"""The post-mortem document: Confluence storage-format XHTML from a template, or Markdown. Pure."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from bot.metrics import Metrics, human, utc
from bot.models import Followup, Incident, TimelineEntry

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udfff]")
TRANSCRIPT_EXCERPT = 50

DEFAULT_TEMPLATE = """\
<h1>{key}: {title}</h1>
<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Level {level}. Origin: {origin}. \
Written by the incident bot; edit freely.</p></ac:rich-text-body></ac:structured-macro>
<h2>Summary</h2>
{summary}
<h2>Metrics</h2>
{metrics}
<h2>Links</h2>
{links}
<h2>Timeline</h2>
{timeline}
<h2>What went well, what went wrong</h2>
<p>(to fill in together, blamelessly)</p>
<h2>Follow-ups</h2>
{followups}
<h2>Channel transcript</h2>
{transcript}
"""
PLACEHOLDERS = ("key", "title", "level", "origin", "summary", "metrics", "links", "timeline", "followups", "transcript")


@dataclass(frozen=True)
class Postmortem:
    incident: Incident
    level_name: str
    metrics: Metrics
    timeline: list[TimelineEntry]
    followups: list[Followup]
    links: list[tuple[str, str]]
    """(label, url): channel, meeting, ticket."""
    names: dict[str, str] = field(default_factory=dict)
    """User ID -> name, for the timeline."""
    transcript_name: str | None = None
    transcript_tail: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.incident.key} post-mortem: {self.incident.title}"[:255]

    def who(self, user: str | None) -> str:
        return self.names.get(user or "", user or "the bot")


def x(text: object) -> str:
    """Text for XHTML: escaped, and without the characters XML 1.0 cannot hold."""
    return html.escape(_XML_INVALID.sub("\ufffd", str(text)), quote=True)


def cdata(text: str) -> str:
    """Text for a CDATA section: a `]]>` inside is split so it cannot end the section."""
    return "<![CDATA[" + _XML_INVALID.sub("\ufffd", text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _event(entry: TimelineEntry, doc: Postmortem) -> str:
    detail = entry.detail
    if entry.kind == "step":
        what = f"step {detail.get('step')}: {detail.get('status')}"
        if detail.get("error"):
            what += f" ({detail['error']})"
        return what
    if entry.kind == "declared":
        return f"declared by {doc.who(entry.actor)} ({detail.get('level')}, via {detail.get('source')})"
    if entry.kind == "followup":
        return f"follow-up by {doc.who(entry.actor)}: {detail.get('text', '')}"
    return f"{entry.kind} by {doc.who(entry.actor)}"


def storage(doc: Postmortem, template: str = DEFAULT_TEMPLATE) -> str:
    """The page body in Confluence storage format."""
    m = doc.metrics
    rows = [
        ("Declared", utc(m.declared_at)),
        ("Confirmed", utc(m.confirmed_at)),
        ("Resolved", utc(m.resolved_at)),
        ("Time to confirm", human(m.time_to_confirm)),
        ("Duration", human(m.duration)),
        ("Time to resolve (from confirmation)", human(m.time_to_resolve)),
    ]
    metrics = (
        "<table><tbody>" + "".join(f"<tr><th>{x(k)}</th><td>{x(v)}</td></tr>" for k, v in rows) + "</tbody></table>"
    )
    links = (
        "<ul>" + "".join(f'<li><a href="{x(url)}">{x(label)}</a></li>' for label, url in doc.links) + "</ul>"
        if doc.links
        else "<p>(none)</p>"
    )
    timeline = (
        "<table><tbody><tr><th>When (UTC)</th><th>What</th></tr>"
        + "".join(f"<tr><td>{x(utc(e.at))}</td><td>{x(_event(e, doc))}</td></tr>" for e in doc.timeline)
        + "</tbody></table>"
    )
    followups = (
        "<ul>"
        + "".join(
            f"<li>{x(f.text)}"
            + (f' (<a href="{x(f.jira_url)}">{x(f.jira_key)}</a>)' if f.jira_url else "")
            + f" <em>by {x(doc.who(f.created_by))}</em></li>"
            for f in doc.followups
        )
        + "</ul>"
        if doc.followups
        else "<p>(none yet: type <code>followup &lt;text&gt;</code> in the incident channel)</p>"
    )
    summary = "".join(f"<p>{x(p)}</p>" for p in (doc.incident.summary or "(no summary given)").split("\n") if p)
    transcript = "<p>(not attached)</p>"
    if doc.transcript_name:
        transcript = (
            f'<p>The full transcript is attached: <ac:link><ri:attachment ri:filename="'
            f'{x(doc.transcript_name)}"/></ac:link>. Last messages:</p>'
            '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">text</ac:parameter>'
            f"<ac:plain-text-body>{cdata(chr(10).join(doc.transcript_tail))}</ac:plain-text-body>"
            "</ac:structured-macro>"
        )
    values = {
        "key": x(doc.incident.key),
        "title": x(doc.incident.title),
        "level": x(f"{doc.incident.level} {doc.level_name}".strip()),
        "origin": x(doc.incident.origin.label if doc.incident.origin else "not given yet"),
        "summary": summary,
        "metrics": metrics,
        "links": links,
        "timeline": timeline,
        "followups": followups,
        "transcript": transcript,
    }
    body = template
    for name in PLACEHOLDERS:
        body = body.replace("{" + name + "}", values[name])
    return body


def _md(text: object) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", str(text))


def markdown(doc: Postmortem) -> str:
    """The same document as Markdown, for teams without Confluence (uploaded into the channel)."""
    m = doc.metrics
    incident = doc.incident
    out = [
        f"# {_md(doc.title)}",
        "",
        f"Level {_md(incident.level)} {_md(doc.level_name)}. Origin: "
        f"{incident.origin.label if incident.origin else 'not given yet'}.",
        "",
        "## Summary",
        "",
        _md(incident.summary or "(no summary given)"),
        "",
        "## Metrics",
        "",
        "| | |",
        "|---|---|",
    ]
    out += [
        f"| Declared | {utc(m.declared_at)} |",
        f"| Confirmed | {utc(m.confirmed_at)} |",
        f"| Resolved | {utc(m.resolved_at)} |",
        f"| Time to confirm | {human(m.time_to_confirm)} |",
        f"| Duration | {human(m.duration)} |",
        "",
        "## Links",
        "",
    ]
    out += [f"- [{_md(label)}]({url})" for label, url in doc.links] or ["(none)"]
    out += ["", "## Timeline", ""]
    out += [f"- {utc(e.at)}: {_md(_event(e, doc))}" for e in doc.timeline]
    out += ["", "## Follow-ups", ""]
    out += [f"- {_md(f.text)}" + (f" ([{f.jira_key}]({f.jira_url}))" if f.jira_url else "") for f in doc.followups]
    if not doc.followups:
        out.append("(none yet)")
    return "\n".join(out) + "\n"
