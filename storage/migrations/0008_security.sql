-- A check-value of the secret key (an HMAC of a fixed label), written at first open: a
-- wrong key stops every command before it changes anything.
CREATE TABLE key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- /healthz writes this row to prove the database still takes writes (full disk: 503).
CREATE TABLE heartbeat (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  TEXT NOT NULL
);

-- Staff login attempts per account (e-mail) and per client address, counted in one
-- statement before the password is checked: parallel attempts cannot pass the lockout.
CREATE TABLE login_attempts (
    scope        TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    key          TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Sessions also end after a while without a request (idle timeout).
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;

-- A timer whose handler failed is tried again with backoff; this counts the tries.
ALTER TABLE scheduled_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Which address an outgoing message went to, as a keyed hash: erasing a person also
-- finds the replies to chats that claimed their code before they were bound.
ALTER TABLE outbox ADD COLUMN address_hash TEXT;
CREATE INDEX outbox_address_hash ON outbox (channel, address_hash) WHERE address_hash IS NOT NULL;
CREATE INDEX inbound_sender_hash ON inbound (channel, sender_hash) WHERE sender_hash IS NOT NULL;
