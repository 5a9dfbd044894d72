-- Incidents, their start/resolve steps and their timeline (audit trail).
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    plan TEXT NOT NULL,
    state TEXT NOT NULL,
    source TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    announce_channel TEXT,
    declaration_ts TEXT,
    function_execution_id TEXT,
    confirmed_by TEXT,
    confirmed_at TEXT,
    cancelled_by TEXT,
    cancelled_at TEXT,
    channel_id TEXT,
    channel_name TEXT,
    report_channel TEXT,
    report_ts TEXT,
    function_state TEXT
);
CREATE INDEX incidents_state ON incidents(state);

CREATE TABLE steps (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    phase TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    result TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (incident_id, phase, name)
);
CREATE INDEX steps_status ON steps(status);

CREATE TABLE timeline (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    at TEXT NOT NULL,
    actor TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_incident ON timeline(incident_id, id);
