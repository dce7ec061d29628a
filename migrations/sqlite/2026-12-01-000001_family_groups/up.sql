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

-- SQLite cannot drop a column that a foreign key names, so these columns' references are
-- kept by the application here (PostgreSQL declares them).
ALTER TABLE relatives ADD COLUMN family_group_id TEXT;
ALTER TABLE relatives ADD COLUMN restricted_at TIMESTAMP;
ALTER TABLE relatives ADD COLUMN restricted_by TEXT;
ALTER TABLE messages ADD COLUMN family_group_id TEXT;
ALTER TABLE follow_ups ADD COLUMN family_group_id TEXT;
ALTER TABLE assignments ADD COLUMN family_group_id TEXT;
ALTER TABLE sessions ADD COLUMN shared_device BOOLEAN NOT NULL DEFAULT FALSE;

INSERT INTO family_groups (id, case_id, name, created_by, created_at)
SELECT id, id, 'Family', created_by, opened_at FROM cases;
UPDATE relatives SET family_group_id = case_id;
UPDATE messages SET family_group_id = case_id;
UPDATE follow_ups SET family_group_id = case_id WHERE is_appointment;

CREATE TRIGGER relative_restrictions_no_update BEFORE UPDATE ON relative_restrictions
BEGIN SELECT RAISE(ABORT, 'relative_restrictions is append-only'); END;
CREATE TRIGGER relative_restrictions_no_delete BEFORE DELETE ON relative_restrictions
BEGIN SELECT RAISE(ABORT, 'relative_restrictions is append-only'); END;

-- What a family sees now also depends on a relative's group and restriction.
DROP TRIGGER relatives_view_relative_update;
DROP TRIGGER relatives_view_case_update;
CREATE TRIGGER relatives_view_relative_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version, family_group_id, restricted_at ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER relatives_view_case_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version, family_group_id, restricted_at ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER update_groups_view_case_insert AFTER INSERT ON update_groups
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER update_groups_view_case_delete AFTER DELETE ON update_groups
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER update_groups_view_case_update AFTER UPDATE ON update_groups
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;
