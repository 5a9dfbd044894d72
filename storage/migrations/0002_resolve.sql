-- Resolution (who, when, origin, summary), the post-mortem link, and follow-up items.
ALTER TABLE incidents ADD COLUMN resolved_by TEXT;
ALTER TABLE incidents ADD COLUMN resolved_at TEXT;
ALTER TABLE incidents ADD COLUMN origin TEXT;
ALTER TABLE incidents ADD COLUMN summary TEXT;
ALTER TABLE incidents ADD COLUMN resolution_channel TEXT;
ALTER TABLE incidents ADD COLUMN resolution_ts TEXT;
ALTER TABLE incidents ADD COLUMN resolution_announce_ts TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_url TEXT;
CREATE INDEX incidents_channel ON incidents(channel_id);

CREATE TABLE followups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    text TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    source_channel TEXT,
    source_ts TEXT,
    jira_key TEXT,
    jira_url TEXT,
    UNIQUE (incident_id, source_channel, source_ts)
);
CREATE INDEX followups_incident ON followups(incident_id, id);

-- Where each phase's list of failed steps (with its Retry button) was posted.
CREATE TABLE reports (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    phase TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (incident_id, phase)
);
INSERT INTO reports (incident_id, phase, channel, ts)
    SELECT id, 'on_start', report_channel, report_ts FROM incidents WHERE report_ts IS NOT NULL
