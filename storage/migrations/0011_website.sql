-- The organisation's public website: where people can check its phone number.
ALTER TABLE organisations ADD COLUMN website TEXT;
