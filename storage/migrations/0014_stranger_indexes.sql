-- Messages are found by address only to erase those of no case (a stranger's, before an
-- invite code bound the chat): index just those, so a turn's rows skip these indexes.
DROP INDEX outbox_address_hash;
CREATE INDEX outbox_stranger_address ON outbox (channel, address_hash)
    WHERE case_id IS NULL AND address_hash IS NOT NULL;
DROP INDEX inbound_sender_hash;
CREATE INDEX inbound_stranger_sender ON inbound (channel, sender_hash)
    WHERE case_id IS NULL AND sender_hash IS NOT NULL;
