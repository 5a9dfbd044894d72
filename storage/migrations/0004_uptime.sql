-- Services an incident affects, period queries for uptime and reports, and monthly reports sent.
ALTER TABLE incidents ADD COLUMN services TEXT;

CREATE TABLE incident_services (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    service TEXT NOT NULL,
    PRIMARY KEY (incident_id, service)
);
CREATE INDEX incidents_declared ON incidents(declared_at);
CREATE INDEX incidents_resolved ON incidents(resolved_at);

CREATE TABLE monthly_reports (
    month TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    decided_at TEXT NOT NULL,
    ts TEXT
)
