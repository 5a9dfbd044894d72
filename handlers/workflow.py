"""The Workflow Builder custom step `start_incident` (a function in the manifest)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.errors import IncidentBotError
from bot.ids import CallbackId
from bot.service import IncidentService
from handlers.reply import explain

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.function(CallbackId.START_FUNCTION)
    async def on_start(inputs: dict[str, Any], event: dict[str, Any], fail: Any, context: Any) -> None:
        """Declares at once; the step completes when the incident is confirmed (or fails if cancelled)."""
        service: IncidentService = context["service"]
        reporter = inputs.get("reporter")
        if not isinstance(reporter, str) or not reporter:
            await fail("The workflow did not say who reports the incident (input `reporter`).")
            return
        try:
            await service.declare(
                title=inputs.get("title"),
                level=inputs.get("level"),
                user=reporter,
                source="workflow",
                function_execution_id=event.get("function_execution_id"),
                services=inputs.get("services"),
            )
        except IncidentBotError as exc:
            log.warning("event=declare_failed source=workflow error=%r", str(exc))
            await fail(explain(exc))
