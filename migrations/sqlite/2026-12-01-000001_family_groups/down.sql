DROP TRIGGER update_groups_view_case_insert;
DROP TRIGGER update_groups_view_case_update;
DROP TRIGGER update_groups_view_case_delete;
DROP TRIGGER relatives_view_relative_update;
DROP TRIGGER relatives_view_case_update;
DROP TRIGGER relative_restrictions_no_update;
DROP TRIGGER relative_restrictions_no_delete;
ALTER TABLE sessions DROP COLUMN shared_device;
ALTER TABLE assignments DROP COLUMN family_group_id;
ALTER TABLE follow_ups DROP COLUMN family_group_id;
ALTER TABLE messages DROP COLUMN family_group_id;
ALTER TABLE relatives DROP COLUMN restricted_by;
ALTER TABLE relatives DROP COLUMN restricted_at;
ALTER TABLE relatives DROP COLUMN family_group_id;
DROP TABLE relative_restrictions;
DROP TABLE update_groups;
DROP TABLE family_groups;
CREATE TRIGGER relatives_view_relative_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER relatives_view_case_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;
