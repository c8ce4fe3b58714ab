-- The contact person's workspace: contact attempts, the person's own plan, known to care,
-- staff accounts that can be disabled, and the organisation's letter wording.

-- Every attempt to reach a person outside the bot: a call, a text, a letter, a visit.
CREATE TABLE contact_attempts (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('phone', 'text', 'letter', 'home_visit',
                                           'existing_care', 'social_team')),
    outcome  TEXT NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'voicemail',
                                              'wrong_number', 'refused', 'sent')),
    at       TEXT NOT NULL,                    -- when it happened (UTC)
    note     BLOB,                             -- sealed
    created_at TEXT NOT NULL
);
CREATE INDEX contact_attempts_case ON contact_attempts (case_id);

-- The person's own plan: per condition, what is done, by whom, by when.
CREATE TABLE plan_actions (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    condition  TEXT NOT NULL,
    what       BLOB NOT NULL,                  -- sealed
    who        TEXT NOT NULL CHECK (who IN ('person', 'municipality', 'partner')),
    due        TEXT,                           -- ISO date
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX plan_actions_case ON plan_actions (case_id);

-- When the plan was agreed with the person (NULL: not yet).
ALTER TABLE cases ADD COLUMN plan_agreed_at TEXT;
-- Already known to care services: NULL not asked, 0 no, 1 yes (which organisation, sealed).
ALTER TABLE cases ADD COLUMN known_to_care INTEGER;
ALTER TABLE cases ADD COLUMN care_organisation BLOB;

-- A disabled account cannot sign in; its sessions are ended.
ALTER TABLE users ADD COLUMN disabled_at TEXT;

-- The organisation's own wording of the letter, per language (JSON; missing keys default).
ALTER TABLE organisations ADD COLUMN letter TEXT NOT NULL DEFAULT '{}';
