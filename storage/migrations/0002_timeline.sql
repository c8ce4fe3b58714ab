-- Who an outgoing message is for: the self-reporter, or staff (an alert).
ALTER TABLE outbox ADD COLUMN audience TEXT NOT NULL DEFAULT 'person';

-- Escalations: which line (primary or backup) and the alert's acknowledgement path.
ALTER TABLE escalations ADD COLUMN line INTEGER NOT NULL DEFAULT 1;
ALTER TABLE escalations ADD COLUMN acknowledged_by TEXT;

-- Set when the case's personal data was erased (retention or a person's request).
ALTER TABLE cases ADD COLUMN purged_at TEXT;

CREATE INDEX scheduled_events_case_kind ON scheduled_events (case_id, kind) WHERE done_at IS NULL;

-- Per-organisation timeline settings (JSON; missing keys take the defaults).
ALTER TABLE organisations ADD COLUMN timeline TEXT NOT NULL DEFAULT '{}';
