-- Channel activity (for reminders and archiving), sent reminders, archives, and the leader lease.
ALTER TABLE incidents ADD COLUMN last_activity_at TEXT;
ALTER TABLE incidents ADD COLUMN last_reminder_at TEXT;

CREATE TABLE reminders (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    silent_since TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    ts TEXT,
    PRIMARY KEY (incident_id, silent_since)
);
CREATE INDEX reminders_status ON reminders(status);

CREATE TABLE archives (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
    status TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    outcome TEXT
);

CREATE TABLE lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT,
    epoch INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
INSERT INTO lease (id, holder, epoch, expires_at) VALUES (1, NULL, 0, 0)
