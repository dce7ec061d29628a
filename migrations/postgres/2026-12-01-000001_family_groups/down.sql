DROP TRIGGER update_groups_view_case_insert ON update_groups;
DROP TRIGGER update_groups_view_case_update ON update_groups;
DROP TRIGGER update_groups_view_case_delete ON update_groups;
DROP TRIGGER relatives_view_relative_update ON relatives;
DROP TRIGGER relatives_view_case_update ON relatives;
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
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'id');

CREATE TRIGGER relatives_view_case_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');
