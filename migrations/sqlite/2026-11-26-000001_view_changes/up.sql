-- What a relative sees of their case changes whenever one of the rows below changes. Every
-- such write also bumps a version here, in the same transaction: 'c:<case id>' for the case's
-- family view, 'r:<relative id>' for one relative's own (their sessions, notices and what
-- they have read), '*' for every family (a staff member's name). Each app instance polls the
-- rows changed lately and drops what it had cached for those scopes (src/family/cache.rs),
-- so no code path that writes can forget to tell the cache, including another instance or
-- the command line. Triggers fire only for the columns and rows a family can see.

CREATE TABLE view_changes (
    scope TEXT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    -- Milliseconds since 1970 by the database's clock when it last changed.
    changed_ms BIGINT NOT NULL
);
CREATE INDEX view_changes_changed ON view_changes (changed_ms);

CREATE TRIGGER cases_view_case_update AFTER UPDATE OF reference, deceased_name, status, stage ON cases
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_stage_history_view_case_insert AFTER INSERT ON case_stage_history
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_stage_history_view_case_update AFTER UPDATE ON case_stage_history
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_stage_history_view_case_delete AFTER DELETE ON case_stage_history
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_updates_view_case_insert AFTER INSERT ON case_updates
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_updates_view_case_update AFTER UPDATE ON case_updates
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_updates_view_case_delete AFTER DELETE ON case_updates
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER exit_plans_view_case_insert AFTER INSERT ON exit_plans
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER exit_plans_view_case_update AFTER UPDATE ON exit_plans
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER exit_plans_view_case_delete AFTER DELETE ON exit_plans
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER assignments_view_case_insert AFTER INSERT ON assignments
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER assignments_view_case_update AFTER UPDATE ON assignments
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER assignments_view_case_delete AFTER DELETE ON assignments
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER relatives_view_relative_insert AFTER INSERT ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER relatives_view_relative_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER relatives_view_relative_delete AFTER DELETE ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER relatives_view_case_insert AFTER INSERT ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
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

CREATE TRIGGER relatives_view_case_delete AFTER DELETE ON relatives
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER contacts_view_case_insert AFTER INSERT ON contacts
WHEN (NEW.family_summary IS NOT NULL)
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER contacts_view_case_update AFTER UPDATE ON contacts
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER contacts_view_case_delete AFTER DELETE ON contacts
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER contact_amendments_view_case_insert AFTER INSERT ON contact_amendments
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER contact_amendments_view_case_update AFTER UPDATE ON contact_amendments
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER contact_amendments_view_case_delete AFTER DELETE ON contact_amendments
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER follow_ups_view_case_insert AFTER INSERT ON follow_ups
WHEN (NEW.is_appointment)
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER follow_ups_view_case_update AFTER UPDATE ON follow_ups
WHEN (NEW.is_appointment) OR (OLD.is_appointment)
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER follow_ups_view_case_delete AFTER DELETE ON follow_ups
WHEN (OLD.is_appointment)
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER update_reads_view_relative_insert AFTER INSERT ON update_reads
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER update_reads_view_relative_update AFTER UPDATE ON update_reads
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.relative_id IS NOT NULL AND OLD.relative_id IS NOT NEW.relative_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER update_reads_view_relative_delete AFTER DELETE ON update_reads
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER messages_view_case_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER messages_view_case_update AFTER UPDATE ON messages
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER messages_view_case_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER message_reads_view_relative_insert AFTER INSERT ON message_reads
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER message_reads_view_relative_update AFTER UPDATE ON message_reads
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.relative_id IS NOT NULL AND OLD.relative_id IS NOT NEW.relative_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER message_reads_view_relative_delete AFTER DELETE ON message_reads
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER property_items_view_case_insert AFTER INSERT ON property_items
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER property_items_view_case_update AFTER UPDATE ON property_items
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER property_items_view_case_delete AFTER DELETE ON property_items
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER notifications_view_relative_insert AFTER INSERT ON notifications
WHEN (NEW.recipient_relative_id IS NOT NULL AND NEW.channel = 'portal')
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.recipient_relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.recipient_relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER notifications_view_relative_update AFTER UPDATE OF recipient_relative_id, channel, status, payload, read_at ON notifications
WHEN (NEW.recipient_relative_id IS NOT NULL AND NEW.channel = 'portal') OR (OLD.recipient_relative_id IS NOT NULL AND OLD.channel = 'portal')
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.recipient_relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.recipient_relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.recipient_relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.recipient_relative_id IS NOT NULL AND OLD.recipient_relative_id IS NOT NEW.recipient_relative_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER notifications_view_relative_delete AFTER DELETE ON notifications
WHEN (OLD.recipient_relative_id IS NOT NULL AND OLD.channel = 'portal')
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.recipient_relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.recipient_relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER sessions_view_relative_insert AFTER INSERT ON sessions
WHEN (NEW.relative_id IS NOT NULL)
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER sessions_view_relative_update AFTER UPDATE OF relative_id, client, persistent, last_seen_at, expires_at, revoked_at, revoked_reason ON sessions
WHEN (NEW.relative_id IS NOT NULL) OR (OLD.relative_id IS NOT NULL)
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || NEW.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || NEW.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.relative_id IS NOT NULL AND OLD.relative_id IS NOT NEW.relative_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER sessions_view_relative_delete AFTER DELETE ON sessions
WHEN (OLD.relative_id IS NOT NULL)
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'r:' || OLD.relative_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'r:' || OLD.relative_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER users_view_all_update AFTER UPDATE OF display_name ON users
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT '*', 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE '*' IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;
