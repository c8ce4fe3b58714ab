-- When a contact person took a case over: a contact person's own message goes to the case
-- they took over last (`storage.cases.held_by`), not to the one updated last.
ALTER TABLE cases ADD COLUMN taken_over_at TEXT;
UPDATE cases SET taken_over_at = updated_at WHERE taken_over_by IS NOT NULL;
