"""The one error tree of the bot.

    IncidentBotError
    +-- ConfigError (ValueError)           a missing/malformed environment variable
    +-- PlanError (ValueError)             a response plan that does not validate
    +-- InvalidInput (ValueError)          something a person typed or sent is not acceptable
    +-- IncidentNotFound (LookupError)     no incident with that key
    +-- TransitionRefused                  the incident is not in a state that allows this
    +-- PermissionDenied                   the plan does not let this person do this
    +-- IntegrationError                   an outside service said no
        +-- TransientError                 ... but trying again later may work (429, 5xx, network)
        +-- NotConfigured                  the integration is not set up: its steps are skipped

Handlers turn any of these into a clear ephemeral message; nothing here carries a token.
"""

from __future__ import annotations


class IncidentBotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(IncidentBotError, ValueError):
    """The environment is missing a variable or holds a malformed one."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class PlanError(IncidentBotError, ValueError):
    """A response plan is invalid; `problems` lists `file:line: field: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class InvalidInput(IncidentBotError, ValueError):
    """A person's input cannot be used; the message is meant for them."""


class IncidentNotFound(IncidentBotError, LookupError):
    """No incident has this key or id."""


class TransitionRefused(IncidentBotError):
    """The incident's state does not allow the requested transition."""


class PermissionDenied(IncidentBotError):
    """The response plan does not allow this person to do this."""


class IntegrationError(IncidentBotError):
    """An outside service refused a call. `code` is its error code (e.g. Slack's `name_taken`)."""

    def __init__(self, service: str, code: str, detail: str = "") -> None:
        super().__init__(f"{service}: {code}" + (f" ({detail})" if detail else ""))
        self.service = service
        self.code = code
        self.detail = detail


class TransientError(IntegrationError):
    """A failure that may pass: rate limited, 5xx, connection error, timeout."""

    def __init__(self, service: str, code: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(service, code, detail)
        self.retry_after = retry_after


class NotConfigured(IntegrationError):
    """The integration a step needs is not configured; the step is skipped, not failed."""

    def __init__(self, reason: str) -> None:
        super().__init__("config", "not_configured", reason)
        self.reason = reason
