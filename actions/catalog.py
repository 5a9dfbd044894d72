"""The names of the steps a plan may list and what each one needs (no code, so plans can validate)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepSpec:
    name: str
    needs: tuple[str, ...] = ()
    """Hard dependencies: when one fails, this step is skipped."""
    after: tuple[str, ...] = ()
    """Soft ordering: waits for these to finish (whatever their outcome) when they are in the plan."""
    summary: str = ""
    phase: str = "on_start"
    """The phase whose list may name this step (on_start or on_resolve)."""


CATALOG: dict[str, StepSpec] = {
    spec.name: spec
    for spec in (
        StepSpec("create_channel", summary="create the incident channel"),
        StepSpec("invite_responders", needs=("create_channel",), summary="invite the responders"),
        StepSpec("post_intro", needs=("create_channel",), summary="post the intro message in the channel"),
        StepSpec("announce", after=("create_channel",), summary="announce the incident with its links"),
        StepSpec("create_zoom_meeting", summary="create the Zoom meeting"),
        StepSpec("create_jira_ticket", summary="create the Jira ticket"),
        StepSpec("notify", after=("create_channel",), summary="alert the people the level names"),
        StepSpec(
            "update_jira_ticket", summary="fill the Jira ticket (duration, origin, comment, status)", phase="on_resolve"
        ),
        StepSpec(
            "create_postmortem",
            summary="write the post-mortem with the channel transcript",
            after=("update_jira_ticket",),
            phase="on_resolve",
        ),
    )
}

DEFAULT_START_STEPS: tuple[str, ...] = (
    "create_channel",
    "invite_responders",
    "post_intro",
    "announce",
    "create_zoom_meeting",
    "create_jira_ticket",
)

DEFAULT_RESOLVE_STEPS: tuple[str, ...] = ("update_jira_ticket", "create_postmortem")
