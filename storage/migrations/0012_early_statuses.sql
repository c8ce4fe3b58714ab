-- A provider's status that arrived before the sender had recorded the message's id
-- (a quick "failed" must not be lost); applied when the id is recorded.
CREATE TABLE early_statuses (
    provider_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    error_code   TEXT,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (provider_id, status)
);
