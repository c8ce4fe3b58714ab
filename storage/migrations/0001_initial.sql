-- Organisations, the municipalities they serve, contact persons and slots.
CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('municipality', 'safety_house')),
    province    TEXT,
    phone       TEXT,
    updated_at  TEXT NOT NULL
);

CREATE TABLE municipalities (
    key             TEXT PRIMARY KEY,          -- normalised name, for look-up
    name            TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE
);

CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    phone            TEXT,
    telegram_chat_id INTEGER,
    backup           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (organisation_id, email)
);

CREATE TABLE slots (
    id              INTEGER PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_time      TEXT NOT NULL,
    end_time        TEXT NOT NULL,
    minutes         INTEGER NOT NULL CHECK (minutes > 0),
    mode            TEXT NOT NULL CHECK (mode IN ('phone', 'video', 'visit')),
    place           TEXT,
    capacity        INTEGER NOT NULL DEFAULT 1 CHECK (capacity > 0)
);

-- Self-reporters. Personal data is sealed (AES-GCM); phone look-ups go by keyed hash.
CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    municipality    TEXT NOT NULL,
    report_date     TEXT NOT NULL,
    first_name      BLOB NOT NULL,
    phone           BLOB,
    phone_hash      TEXT,
    prison          BLOB,
    language        TEXT NOT NULL DEFAULT 'nl',
    invite_code     TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'new',
    opted_out       INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX cases_phone_hash ON cases (phone_hash);
CREATE INDEX cases_organisation ON cases (organisation_id);

-- The engine's state of one case's conversation (sealed JSON).
CREATE TABLE conversations (
    case_id         INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    script_id       TEXT NOT NULL,
    script_version  INTEGER NOT NULL,
    state           BLOB NOT NULL,
    updated_at      TEXT NOT NULL
);

-- Where a case can be reached: phone, whatsapp, telegram chat, terminal, simulator.
CREATE TABLE channel_identities (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    address     BLOB NOT NULL,
    address_hash TEXT NOT NULL,
    dead        INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    UNIQUE (channel, address_hash, case_id)
);
CREATE INDEX channel_identities_lookup ON channel_identities (channel, address_hash);

-- Everything that came in. provider_key makes a redelivered webhook a no-op.
CREATE TABLE inbound (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    provider_key TEXT NOT NULL,
    sender       BLOB,                          -- sealed phone number or chat id
    sender_hash  TEXT,
    case_id      INTEGER REFERENCES cases (id) ON DELETE CASCADE,
    body         BLOB,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    error        TEXT,                          -- set when processing failed for good
    UNIQUE (channel, provider_key)
);
-- Wrong invite codes and unknown senders, per channel address: a lockout, not a log.
CREATE TABLE code_attempts (
    channel      TEXT NOT NULL,
    address_hash TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    PRIMARY KEY (channel, address_hash)
);

CREATE INDEX inbound_unprocessed ON inbound (id) WHERE processed_at IS NULL;

-- Everything that goes out, written with the state change that caused it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER REFERENCES cases (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    address         BLOB,
    body            BLOB NOT NULL,
    choices         BLOB,
    segments        INTEGER NOT NULL,
    encoding        TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    provider_id     TEXT,
    error           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_case ON outbox (case_id);
CREATE UNIQUE INDEX outbox_provider ON outbox (channel, provider_id) WHERE provider_id IS NOT NULL;

-- Consent is append-only: the latest event per purpose is in force.
CREATE TABLE consent_events (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL,
    given           INTEGER NOT NULL,
    at              TEXT NOT NULL,
    channel         TEXT NOT NULL,
    script_id       TEXT NOT NULL,
    script_version  INTEGER NOT NULL
);
CREATE INDEX consent_events_case ON consent_events (case_id, purpose, id);
CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent events are append-only');
END;

CREATE TABLE answers (
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    condition   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('ok', 'help', 'unknown')),
    note        BLOB,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (case_id, condition)
);

-- Escalations and handoff requests for a contact person.
CREATE TABLE escalations (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    reason          TEXT NOT NULL,
    at              TEXT NOT NULL,
    contact_id      INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    acknowledged_at TEXT
);
CREATE INDEX escalations_case ON escalations (case_id);

-- Timers are rows: reminders, step timeouts, escalations, purges.
CREATE TABLE scheduled_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER REFERENCES cases (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{}',
    done_at     TEXT,
    outcome     TEXT
);
CREATE INDEX scheduled_events_due ON scheduled_events (due_at) WHERE done_at IS NULL;
CREATE INDEX scheduled_events_case ON scheduled_events (case_id);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    case_id  INTEGER,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_case ON audit_log (case_id);
