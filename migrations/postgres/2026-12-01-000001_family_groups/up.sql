-- Family groups: a case's family as it really is, one group per household or side (the
-- mother and stepfather; the partner). Every relative belongs to one group; each group has
-- its own messages, appointments and, if staff name one, its own FLO and deputy. A shared
-- update goes to every group unless staff choose groups (`update_groups`). Every existing
-- case becomes one group named 'Family' whose id is the case's own (a ULID like any other),
-- holding all its relatives, messages and appointments: nothing is lost or moved.
--
-- Shared devices: a relative who signs in on a shared or public device gets a session that is
-- never kept past the browser, ends after a short time without use, and keeps no drafts.
--
-- Restricted relatives: the SIO or a manager may restrict a relative (a person of interest,
-- say). `relatives.restricted_at` says who is restricted now; `relative_restrictions` keeps
-- every restriction and lifting with its reason, and the database refuses to change it.

CREATE TABLE family_groups (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX family_groups_case ON family_groups (case_id);

CREATE TABLE update_groups (
    update_id TEXT NOT NULL REFERENCES case_updates (id),
    family_group_id TEXT NOT NULL REFERENCES family_groups (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (update_id, family_group_id)
);

CREATE TABLE relative_restrictions (
    id TEXT PRIMARY KEY NOT NULL,
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    -- true: restricted; false: the restriction lifted.
    restricted BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX relative_restrictions_relative ON relative_restrictions (relative_id, recorded_at);

ALTER TABLE relatives ADD COLUMN family_group_id TEXT REFERENCES family_groups (id);
ALTER TABLE relatives ADD COLUMN restricted_at TIMESTAMP;
ALTER TABLE relatives ADD COLUMN restricted_by TEXT REFERENCES users (id);
ALTER TABLE messages ADD COLUMN family_group_id TEXT REFERENCES family_groups (id);
ALTER TABLE follow_ups ADD COLUMN family_group_id TEXT REFERENCES family_groups (id);
ALTER TABLE assignments ADD COLUMN family_group_id TEXT REFERENCES family_groups (id);
ALTER TABLE sessions ADD COLUMN shared_device BOOLEAN NOT NULL DEFAULT FALSE;

INSERT INTO family_groups (id, case_id, name, created_by, created_at)
SELECT id, id, 'Family', created_by, opened_at FROM cases;
UPDATE relatives SET family_group_id = case_id;
UPDATE messages SET family_group_id = case_id;
UPDATE follow_ups SET family_group_id = case_id WHERE is_appointment;

CREATE TRIGGER relative_restrictions_append_only BEFORE UPDATE OR DELETE ON relative_restrictions
    FOR EACH ROW EXECUTE FUNCTION liaison_reject_change();
CREATE TRIGGER relative_restrictions_no_truncate BEFORE TRUNCATE ON relative_restrictions
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_reject_change();

-- What a family sees now also depends on a relative's group and restriction.
DROP TRIGGER relatives_view_relative_update ON relatives;
DROP TRIGGER relatives_view_case_update ON relatives;
CREATE TRIGGER relatives_view_relative_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version, family_group_id, restricted_at ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'id');

CREATE TRIGGER relatives_view_case_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version, family_group_id, restricted_at ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER update_groups_view_case_insert AFTER INSERT ON update_groups
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER update_groups_view_case_update AFTER UPDATE ON update_groups
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER update_groups_view_case_delete AFTER DELETE ON update_groups
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');
