"""Prometheus metrics of the process (prometheus-client, on a registry of its own)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.models import State


class Telemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.incidents = Gauge("incident_bot_incidents", "Incidents by state and level", ["state", "level"], registry=r)
        self.steps = Counter("incident_bot_steps_total", "Step outcomes", ["step", "status"], registry=r)
        self.step_seconds = Histogram(
            "incident_bot_step_seconds",
            "Step durations (all attempts)",
            ["step"],
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=r,
        )
        self.reminders = Counter("incident_bot_reminders_total", "Reminders sent", registry=r)
        self.archives = Counter("incident_bot_archives_total", "Incident channels archived", registry=r)
        self.slack_errors = Counter("incident_bot_slack_errors_total", "Slack API errors by code", ["code"], registry=r)
        self.retries = Counter("incident_bot_retries_total", "Retries after transient errors", ["service"], registry=r)
        self.leader = Gauge("incident_bot_leader", "1 while this process leads", registry=r)
        self.epoch = Gauge("incident_bot_lease_epoch", "Epoch of the lease this process last held", registry=r)
        self.takeovers = Counter("incident_bot_takeovers_total", "Times this process became leader", registry=r)
        self.socket = Gauge("incident_bot_socket_connected", "1 while Socket Mode is connected", registry=r)

    def observe_step(self, step: str, status: str, seconds: float) -> None:
        self.steps.labels(step=step, status=status).inc()
        self.step_seconds.labels(step=step).observe(seconds)

    def set_incidents(self, counts: dict[tuple[str, str], int]) -> None:
        self.incidents.clear()
        for known in State:
            self.incidents.labels(state=str(known), level="all").set(
                sum(n for (s, _), n in counts.items() if s == known)
            )
        for (state, level), count in counts.items():
            self.incidents.labels(state=state, level=level).set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
