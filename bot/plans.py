"""Response plans: YAML files in plans/, validated into typed objects with file:line errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from actions.catalog import CATALOG, DEFAULT_RESOLVE_STEPS, DEFAULT_START_STEPS
from bot.errors import PlanError
from bot.workhours import DAYS, WorkHours, parse_duration

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP = re.compile(r"^(@[a-z0-9][a-z0-9._-]*|S[A-Z0-9]{2,})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
_LEVEL = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class People(_Model):
    """Who, by user ID (U...), user group (`@handle` or S... ID) and email."""

    users: tuple[str, ...] = ()
    usergroups: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @field_validator("users")
    @classmethod
    def _users(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for user in value:
            if not _USER_ID.match(user):
                raise ValueError(f"{user!r} is not a Slack user ID (like U01ABCDEF)")
        return value

    @field_validator("usergroups")
    @classmethod
    def _groups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for group in value:
            if not _GROUP.match(group):
                raise ValueError(f"{group!r} is not a user group handle (like @sre-oncall) or ID (S...)")
        return value

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for email in value:
            if not _EMAIL.match(email):
                raise ValueError(f"{email!r} is not an email address")
        return value

    @property
    def empty(self) -> bool:
        return not (self.users or self.usergroups or self.emails)


class Notify(People):
    """Who a level alerts (e.g. management for a P1): channels get a message, people a DM."""

    channels: tuple[str, ...] = ()

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for channel in value:
            if not re.match(r"^(#[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})$", channel):
                raise ValueError(f"{channel!r} is not a channel name (#name) or ID")
        return value

    @property
    def empty(self) -> bool:
        return super().empty and not self.channels


class JiraFields(_Model):
    """Custom field ids (like customfield_10050) that receive the duration (minutes) and the origin."""

    duration: str | None = None
    origin: str | None = None

    @field_validator("duration", "origin")
    @classmethod
    def _field(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^customfield_\d+$", value):
            raise ValueError(f"{value!r} is not a custom field id (like customfield_10050)")
        return value


class Jira(_Model):
    """How incidents map onto Jira."""

    priorities: dict[str, str] = {}
    """Priority name of each level's ticket."""
    resolved_status: str | None = None
    """Status (or transition) name the ticket is moved to on resolution, e.g. Done."""
    followup_type: str = "Task"
    """Issue type of follow-up items."""
    fields: JiraFields = JiraFields()


class Postmortem(_Model):
    """`template`: a Confluence storage-format file (relative to the plan) with {placeholders}."""

    template: str | None = None
    text: str | None = Field(default=None, exclude=True)


class WorkHoursConfig(_Model):
    """When reminders may be sent: weekdays between start and end, in a time zone, except holidays."""

    timezone: str = "UTC"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: str = "09:00"
    end: str = "18:00"
    holidays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (like Europe/Paris)") from None
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(d.lower()[:3] for d in value)
        for day in days:
            if day not in DAYS:
                raise ValueError(f"{day!r} is not a day (mon, tue, ... sun)")
        return days

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", str(value)):
            raise ValueError(f"{value!r} is not a time like 09:00")
        return str(value)

    @model_validator(mode="after")
    def _order(self) -> WorkHoursConfig:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self

    def resolved(self) -> WorkHours:
        return WorkHours(
            self.timezone,
            self.days,
            time.fromisoformat(self.start),
            time.fromisoformat(self.end),
            frozenset(self.holidays),
        )


class After(_Model):
    """A delay like `45m`, `1h` or `30d`."""

    after: str

    @field_validator("after")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def delta(self) -> timedelta:
        return parse_duration(self.after)


class Permissions(_Model):
    """Who may confirm or cancel a declaration; an empty list means anyone."""

    confirm: People = People()
    cancel: People = People()


def _check_steps(steps: Sequence[str], phase: str = "on_start") -> None:
    seen: set[str] = set()
    known = sorted(n for n, spec in CATALOG.items() if spec.phase == phase)
    for step in steps:
        if step not in CATALOG or CATALOG[step].phase != phase:
            raise ValueError(f"unknown {phase} step {step!r} (known: {', '.join(known)})")
        if step in seen:
            raise ValueError(f"step {step!r} is listed twice")
        seen.add(step)
    for step in steps:
        for need in CATALOG[step].needs:
            if need not in seen:
                raise ValueError(f"step {step!r} needs {need!r}, which is not in the list")


class Service(_Model):
    """Something users depend on; incidents may name the services they affect (uptime per service)."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = Field(default="", max_length=150)
    owners: People = People()


class Uptime(_Model):
    """When an incident's impact starts: at its declaration (default) or its confirmation."""

    impact_from: str = "declared"

    @field_validator("impact_from")
    @classmethod
    def _from(cls, value: str) -> str:
        if value not in ("declared", "confirmed"):
            raise ValueError("must be declared or confirmed")
        return value


class Report(_Model):
    """`monthly: true` posts last month's report (with its chart) on the first working day of a month."""

    monthly: bool = False


class Level(_Model):
    name: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=500)
    downtime_weight: float = Field(default=0.0, ge=0.0, le=1.0)
    """How much of the service an incident of this level takes down, for uptime (P1 1.0 ... P4 0)."""
    responders: People = People()
    notify: Notify = Notify()
    on_start: tuple[str, ...] | None = None
    on_resolve: tuple[str, ...] | None = None

    @field_validator("on_start")
    @classmethod
    def _steps(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            _check_steps(value)
        return value

    @field_validator("on_resolve")
    @classmethod
    def _resolve_steps(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            _check_steps(value, "on_resolve")
        return value


class Plan(_Model):
    name: str = "default"
    announce_channel: str = Field(min_length=2, max_length=80)
    channel_prefix: str = "inc"
    responders: People = People()
    permissions: Permissions = Permissions()
    jira: Jira = Jira()
    postmortem: Postmortem = Postmortem()
    services: tuple[Service, ...] = ()
    uptime: Uptime = Uptime()
    report: Report = Report()
    work_hours: WorkHoursConfig = WorkHoursConfig()
    reminders: After = After(after="1h")
    archive: After = After(after="30d")
    on_start: tuple[str, ...] = DEFAULT_START_STEPS
    on_resolve: tuple[str, ...] = DEFAULT_RESOLVE_STEPS
    levels: dict[str, Level] = Field(min_length=1)

    @field_validator("channel_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError("must be 1-20 characters of a-z, 0-9, - and _, starting with a letter or digit")
        return value

    @field_validator("announce_channel")
    @classmethod
    def _announce(cls, value: str) -> str:
        if not re.match(r"^(#[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})$", value):
            raise ValueError("must be a channel name like #incidents or a channel ID like C0123ABC")
        return value

    @field_validator("on_start")
    @classmethod
    def _steps(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _check_steps(value)
        return value

    @field_validator("on_resolve")
    @classmethod
    def _resolve_steps(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _check_steps(value, "on_resolve")
        return value

    @model_validator(mode="after")
    def _levels(self) -> Plan:
        for key in self.levels:
            if not _LEVEL.match(key):
                raise ValueError(f"level {key!r} must be 1-20 letters, digits, - or _ (like P1)")
        names = [s.name for s in self.services]
        if len(names) != len(set(names)):
            raise ValueError("services: each service name may appear once")
        for key in self.jira.priorities:
            if key not in self.levels:
                raise ValueError(f"jira.priorities names level {key!r}, which the plan does not have")
        return self

    def start_steps(self, level: str) -> tuple[str, ...]:
        """The level's steps, or the plan's default (also for a level since removed from the plan)."""
        known = self.levels.get(level)
        return self.on_start if known is None or known.on_start is None else known.on_start

    def resolve_steps(self, level: str) -> tuple[str, ...]:
        known = self.levels.get(level)
        return self.on_resolve if known is None or known.on_resolve is None else known.on_resolve

    def responders_for(self, level: str) -> People:
        known = self.levels.get(level)
        extra = known.responders if known is not None else People()
        return People(
            users=tuple(dict.fromkeys(self.responders.users + extra.users)),
            usergroups=tuple(dict.fromkeys(self.responders.usergroups + extra.usergroups)),
            emails=tuple(dict.fromkeys(self.responders.emails + extra.emails)),
        )


def _line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its deepest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def parse_plan(text: str, source: str, name: str = "default") -> Plan:
    """Validate one plan's YAML text. Raises PlanError naming `source`, the line and the field."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanError([f"{where}: invalid YAML: {problem}"]) from exc
    if not isinstance(data, dict):
        raise PlanError([f"{source}:1: a plan must be a mapping (announce_channel, levels, ...)"])
    try:
        return Plan.model_validate({"name": name, **data})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            field = ".".join(str(p) for p in loc) or "(plan)"
            line = _line_of(node, loc)
            where = f"{source}:{line}" if line else source
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {field}: {message}")
        raise PlanError(problems) from exc


def load_plans(directory: str | Path) -> dict[str, Plan]:
    """Every *.yaml / *.yml in `directory`, by file stem. Raises PlanError listing every problem."""
    folder = Path(directory)
    if not folder.is_dir():
        raise PlanError([f"{folder}: PLANS_DIR is not a directory"])
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise PlanError([f"{folder}: no plan files (*.yaml) found"])
    plans: dict[str, Plan] = {}
    problems: list[str] = []
    for file in files:
        try:
            plans[file.stem] = _with_template(parse_plan(file.read_text(encoding="utf-8"), str(file), file.stem), file)
        except PlanError as exc:
            problems.extend(exc.problems)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{file}: cannot read: {exc}")
    if problems:
        raise PlanError(problems)
    return plans


def _with_template(plan: Plan, file: Path) -> Plan:
    """Read the plan's post-mortem template (relative to the plan file) and check its placeholders."""
    if plan.postmortem.template is None:
        return plan
    path = (file.parent / plan.postmortem.template).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError([f"{file}: postmortem.template: cannot read {path}: {exc}"]) from None
    from actions.postmortem import PLACEHOLDERS  # the renderer owns the placeholder names

    unknown = sorted(set(re.findall(r"\{([a-z_]+)\}", text)) - set(PLACEHOLDERS))
    if unknown:
        raise PlanError(
            [
                f"{file}: postmortem.template: unknown placeholder(s) {', '.join(unknown)} "
                f"(known: {', '.join(PLACEHOLDERS)})"
            ]
        )
    return plan.model_copy(update={"postmortem": plan.postmortem.model_copy(update={"text": text})})


def default_plan(plans: dict[str, Plan]) -> Plan:
    return plans["default"] if "default" in plans else plans[sorted(plans)[0]]
