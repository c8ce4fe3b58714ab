-- Per-organisation wording used by the scripts: a short sender name and a visiting address.
ALTER TABLE organisations ADD COLUMN sender_name TEXT;
ALTER TABLE organisations ADD COLUMN address TEXT;
