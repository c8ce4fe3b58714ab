-- Delivery: exactly-once sending, WhatsApp templates, failed deliveries, retried inbound.

-- A message is claimed ('sending') in its own transaction before the provider call:
-- when, and by which process (host:pid), so a restart asks the provider instead of
-- sending blindly again.
ALTER TABLE outbox ADD COLUMN sending_at TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
-- Why the message was sent (first_contact, reminder_1, nudge, ...): a permanent failure
-- of a first contact or reminder escalates, and a closed WhatsApp window looks up the
-- approved template by this key.
ALTER TABLE outbox ADD COLUMN purpose TEXT;
-- The template's variables (sealed JSON), rendered with the message; the Content SID used.
ALTER TABLE outbox ADD COLUMN template_variables BLOB;
ALTER TABLE outbox ADD COLUMN content_sid TEXT;
CREATE INDEX outbox_sending ON outbox (id) WHERE status = 'sending';
CREATE INDEX outbox_held ON outbox (case_id) WHERE status = 'held';

-- Why the phone cannot get texts (landline, premium-rate, toll-free, shared-cost, VoIP);
-- NULL for a mobile number (or no phone).
ALTER TABLE cases ADD COLUMN phone_type TEXT;

-- Content SIDs of approved WhatsApp templates: {text key: {language: HX...}} (JSON).
ALTER TABLE organisations ADD COLUMN whatsapp_templates TEXT NOT NULL DEFAULT '{}';

-- Routes that failed for good (WhatsApp 63016..., SMS to a landline): skipped from then on.
CREATE TABLE dead_routes (
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    address_hash TEXT NOT NULL,
    reason       TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (case_id, channel, address_hash)
);

-- Inbound rows whose processing failed are retried with backoff, then answered.
ALTER TABLE inbound ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound ADD COLUMN retry_at TEXT;
