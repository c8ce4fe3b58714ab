CREATE TABLE appointments (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    slot_id         INTEGER REFERENCES slots (id) ON DELETE SET NULL,
    start           TEXT NOT NULL,             -- UTC
    minutes         INTEGER NOT NULL,
    mode            TEXT NOT NULL,
    place           TEXT,
    status          TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'kept', 'missed')),
    created_at      TEXT NOT NULL,
    cancelled_at    TEXT
);
CREATE INDEX appointments_slot ON appointments (slot_id, start) WHERE status = 'booked';
CREATE INDEX appointments_case ON appointments (case_id);

-- What the person wrote with an escalation (e.g. why they ask for postponement), sealed.
ALTER TABLE escalations ADD COLUMN note BLOB;

-- A contact person who took over the conversation: the bot relays instead of asking.
ALTER TABLE cases ADD COLUMN taken_over_by INTEGER REFERENCES contacts (id) ON DELETE SET NULL;
