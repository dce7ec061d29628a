ALTER TABLE relatives DROP COLUMN discreet_notices;
DROP INDEX notifications_merged_into;
ALTER TABLE notifications DROP COLUMN merged_into;
