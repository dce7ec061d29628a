-- Notices to one relative sent as one message: a row carried by another names it here and
-- shares its outcome. A relative may ask for discreet messages (no force or officer named).
ALTER TABLE notifications ADD COLUMN merged_into TEXT;
CREATE INDEX notifications_merged_into ON notifications (merged_into);
ALTER TABLE relatives ADD COLUMN discreet_notices BOOLEAN NOT NULL DEFAULT FALSE;
