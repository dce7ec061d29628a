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

CREATE FUNCTION liaison_view_changed(scope TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO view_changes (scope, version, changed_ms)
    VALUES (scope, 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    ON CONFLICT (scope) DO UPDATE
    SET version = view_changes.version + 1, changed_ms = excluded.changed_ms;
$$;

-- The trigger's arguments: the scope's prefix and the column holding its id (none for '*').
-- For an update whose id changes, both the old and the new scope change.
CREATE FUNCTION liaison_view_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_key TEXT;
    old_key TEXT;
BEGIN
    IF TG_NARGS < 2 THEN
        PERFORM liaison_view_changed(TG_ARGV[0]);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_key := to_jsonb(NEW) ->> TG_ARGV[1];
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_key := to_jsonb(OLD) ->> TG_ARGV[1];
    END IF;
    IF new_key IS NOT NULL THEN
        PERFORM liaison_view_changed(TG_ARGV[0] || new_key);
    END IF;
    IF old_key IS NOT NULL AND old_key IS DISTINCT FROM new_key THEN
        PERFORM liaison_view_changed(TG_ARGV[0] || old_key);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_view_case_update AFTER UPDATE OF reference, deceased_name, status, stage ON cases
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'id');

CREATE TRIGGER case_stage_history_view_case_insert AFTER INSERT ON case_stage_history
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER case_stage_history_view_case_update AFTER UPDATE ON case_stage_history
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER case_stage_history_view_case_delete AFTER DELETE ON case_stage_history
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER case_updates_view_case_insert AFTER INSERT ON case_updates
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER case_updates_view_case_update AFTER UPDATE ON case_updates
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER case_updates_view_case_delete AFTER DELETE ON case_updates
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER exit_plans_view_case_insert AFTER INSERT ON exit_plans
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER exit_plans_view_case_update AFTER UPDATE ON exit_plans
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER exit_plans_view_case_delete AFTER DELETE ON exit_plans
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER assignments_view_case_insert AFTER INSERT ON assignments
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER assignments_view_case_update AFTER UPDATE ON assignments
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER assignments_view_case_delete AFTER DELETE ON assignments
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER relatives_view_relative_insert AFTER INSERT ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'id');

CREATE TRIGGER relatives_view_relative_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'id');

CREATE TRIGGER relatives_view_relative_delete AFTER DELETE ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'id');

CREATE TRIGGER relatives_view_case_insert AFTER INSERT ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER relatives_view_case_update AFTER UPDATE OF case_id, full_name, relationship, email, phone, address, preferred_channel, language, point_of_contact, access_state, suspended_reason, suspended_at, suspended_by, notify_by_email, quiet_hours_start, quiet_hours_end, auth_version, version ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER relatives_view_case_delete AFTER DELETE ON relatives
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER contacts_view_case_insert AFTER INSERT ON contacts
FOR EACH ROW
WHEN ((NEW.family_summary IS NOT NULL))
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER contacts_view_case_update AFTER UPDATE ON contacts
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER contacts_view_case_delete AFTER DELETE ON contacts
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER contact_amendments_view_case_insert AFTER INSERT ON contact_amendments
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER contact_amendments_view_case_update AFTER UPDATE ON contact_amendments
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER contact_amendments_view_case_delete AFTER DELETE ON contact_amendments
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER follow_ups_view_case_insert AFTER INSERT ON follow_ups
FOR EACH ROW
WHEN ((NEW.is_appointment))
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER follow_ups_view_case_update AFTER UPDATE ON follow_ups
FOR EACH ROW
WHEN ((NEW.is_appointment) OR (OLD.is_appointment))
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER follow_ups_view_case_delete AFTER DELETE ON follow_ups
FOR EACH ROW
WHEN ((OLD.is_appointment))
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER update_reads_view_relative_insert AFTER INSERT ON update_reads
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER update_reads_view_relative_update AFTER UPDATE ON update_reads
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER update_reads_view_relative_delete AFTER DELETE ON update_reads
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER messages_view_case_insert AFTER INSERT ON messages
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER messages_view_case_update AFTER UPDATE ON messages
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER messages_view_case_delete AFTER DELETE ON messages
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER message_reads_view_relative_insert AFTER INSERT ON message_reads
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER message_reads_view_relative_update AFTER UPDATE ON message_reads
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER message_reads_view_relative_delete AFTER DELETE ON message_reads
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER property_items_view_case_insert AFTER INSERT ON property_items
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER property_items_view_case_update AFTER UPDATE ON property_items
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER property_items_view_case_delete AFTER DELETE ON property_items
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER notifications_view_relative_insert AFTER INSERT ON notifications
FOR EACH ROW
WHEN ((NEW.recipient_relative_id IS NOT NULL AND NEW.channel = 'portal'))
EXECUTE FUNCTION liaison_view_trigger('r:', 'recipient_relative_id');

CREATE TRIGGER notifications_view_relative_update AFTER UPDATE OF recipient_relative_id, channel, status, payload, read_at ON notifications
FOR EACH ROW
WHEN ((NEW.recipient_relative_id IS NOT NULL AND NEW.channel = 'portal') OR (OLD.recipient_relative_id IS NOT NULL AND OLD.channel = 'portal'))
EXECUTE FUNCTION liaison_view_trigger('r:', 'recipient_relative_id');

CREATE TRIGGER notifications_view_relative_delete AFTER DELETE ON notifications
FOR EACH ROW
WHEN ((OLD.recipient_relative_id IS NOT NULL AND OLD.channel = 'portal'))
EXECUTE FUNCTION liaison_view_trigger('r:', 'recipient_relative_id');

CREATE TRIGGER sessions_view_relative_insert AFTER INSERT ON sessions
FOR EACH ROW
WHEN ((NEW.relative_id IS NOT NULL))
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER sessions_view_relative_update AFTER UPDATE OF relative_id, client, persistent, last_seen_at, expires_at, revoked_at, revoked_reason ON sessions
FOR EACH ROW
WHEN ((NEW.relative_id IS NOT NULL) OR (OLD.relative_id IS NOT NULL))
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER sessions_view_relative_delete AFTER DELETE ON sessions
FOR EACH ROW
WHEN ((OLD.relative_id IS NOT NULL))
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER users_view_all_update AFTER UPDATE OF display_name ON users
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('*');
