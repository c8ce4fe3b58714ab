-- Staff accounts: administrators (everything) and contact persons (their organisation).
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,             -- argon2id
    role            TEXT NOT NULL CHECK (role IN ('admin', 'contact')),
    organisation_id TEXT REFERENCES organisations (id) ON DELETE SET NULL,
    language        TEXT NOT NULL DEFAULT 'nl',
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL,
    CHECK (role = 'admin' OR organisation_id IS NOT NULL)
);

-- Server-side sessions: the cookie holds a random token, the table only its hash.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE case_notes (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    at       TEXT NOT NULL,
    body     BLOB NOT NULL                     -- sealed
);
CREATE INDEX case_notes_case ON case_notes (case_id);

-- What came of a case: plan_made, referred, reached_by_phone, not_reachable.
ALTER TABLE cases ADD COLUMN outcome TEXT;
