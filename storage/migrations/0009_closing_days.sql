-- Days an organisation is closed besides the public calendar (JSON list of ISO dates).
ALTER TABLE organisations ADD COLUMN closing_days TEXT NOT NULL DEFAULT '[]';
