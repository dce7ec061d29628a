-- Liaison: the complete record schema (DESIGN §2).
-- Ids are application-generated text (ULIDs): opaque, non-sequential in what they reveal,
-- and portable across SQLite and PostgreSQL without RETURNING.
-- Timestamps are UTC. Booleans are BOOLEAN on both engines.

CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    archived_at TIMESTAMP
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'manager', 'admin')),
    password_hash TEXT NOT NULL,
    phone TEXT,
    active BOOLEAN NOT NULL,
    password_change_required BOOLEAN NOT NULL,
    auth_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deactivated_at TIMESTAMP
);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE reference_counters (
    scope TEXT PRIMARY KEY NOT NULL,
    last_value BIGINT NOT NULL
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    team_id TEXT NOT NULL REFERENCES teams (id),
    deceased_name TEXT NOT NULL,
    date_of_death DATE NOT NULL,
    circumstances TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    stage TEXT NOT NULL CHECK (stage IN ('family_liaison_deployed', 'post_mortem', 'investigation', 'charging_decision', 'court_or_inquest', 'concluded')),
    needs_language TEXT,
    needs_interpreter BOOLEAN NOT NULL,
    needs_accessibility TEXT,
    needs_faith_culture TEXT,
    needs_other TEXT,
    opened_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    first_contact_at TIMESTAMP,
    last_contact_at TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX cases_team_status ON cases (team_id, status, opened_at);
CREATE INDEX cases_deceased ON cases (deceased_name);

CREATE TABLE case_status_changes (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    reason TEXT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX case_status_changes_case ON case_status_changes (case_id, changed_at);

CREATE TABLE case_links (
    id TEXT PRIMARY KEY NOT NULL,
    case_id_a TEXT NOT NULL REFERENCES cases (id),
    case_id_b TEXT NOT NULL REFERENCES cases (id),
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP,
    removed_by TEXT REFERENCES users (id),
    removal_reason TEXT,
    CHECK (case_id_a < case_id_b)
);
CREATE UNIQUE INDEX case_links_active_pair ON case_links (case_id_a, case_id_b) WHERE removed_at IS NULL;
CREATE INDEX case_links_b ON case_links (case_id_b);

CREATE TABLE case_updates (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    shared_with_family BOOLEAN NOT NULL,
    stage TEXT CHECK (stage IS NULL OR stage IN ('family_liaison_deployed', 'post_mortem', 'investigation', 'charging_decision', 'court_or_inquest', 'concluded')),
    key_event BOOLEAN NOT NULL,
    link_batch_id TEXT,
    posted_by TEXT NOT NULL REFERENCES users (id),
    posted_at TIMESTAMP NOT NULL
);
CREATE INDEX case_updates_case_time ON case_updates (case_id, posted_at);

CREATE TABLE case_stage_history (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    stage TEXT NOT NULL CHECK (stage IN ('family_liaison_deployed', 'post_mortem', 'investigation', 'charging_decision', 'court_or_inquest', 'concluded')),
    reached_at TIMESTAMP NOT NULL,
    update_id TEXT REFERENCES case_updates (id),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX case_stage_history_case ON case_stage_history (case_id, reached_at);

CREATE TABLE exit_plans (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    how_liaison_ends TEXT NOT NULL,
    contact_afterwards TEXT NOT NULL,
    how_to_reactivate TEXT NOT NULL,
    update_id TEXT REFERENCES case_updates (id),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX exit_plans_case ON exit_plans (case_id, recorded_at);

CREATE TABLE contact_plans (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    interval_hours INTEGER NOT NULL CHECK (interval_hours BETWEEN 1 AND 2160),
    preferred_channel TEXT NOT NULL CHECK (preferred_channel IN ('visit', 'phone', 'video', 'email', 'letter', 'portal_message', 'other')),
    preferred_hours TEXT NOT NULL,
    agreed_on DATE NOT NULL,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX contact_plans_case ON contact_plans (case_id, recorded_at);

CREATE TABLE contact_plan_lapses (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    contact_plan_id TEXT NOT NULL REFERENCES contact_plans (id),
    gap_from TIMESTAMP NOT NULL,
    gap_to TIMESTAMP,
    explanation TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX contact_plan_lapses_case ON contact_plan_lapses (case_id, gap_from);

CREATE TABLE assignments (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('flo', 'deputy_flo', 'sio', 'coordinator')),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    visible_to_family BOOLEAN NOT NULL,
    contact_phone TEXT,
    contact_email TEXT,
    working_hours TEXT NOT NULL,
    cover_user_id TEXT REFERENCES users (id),
    cover_note TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    ended_by TEXT REFERENCES users (id),
    end_reason TEXT
);
CREATE INDEX assignments_user ON assignments (user_id, ends_at);
CREATE INDEX assignments_case ON assignments (case_id, starts_at);

CREATE TABLE relatives (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    full_name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    address TEXT,
    preferred_channel TEXT NOT NULL CHECK (preferred_channel IN ('visit', 'phone', 'video', 'email', 'letter', 'portal_message', 'other')),
    language TEXT NOT NULL CHECK (language IN ('en', 'cy')),
    point_of_contact BOOLEAN NOT NULL,
    access_state TEXT NOT NULL CHECK (access_state IN ('not_invited', 'invited', 'active', 'suspended')),
    suspended_reason TEXT,
    suspended_at TIMESTAMP,
    suspended_by TEXT REFERENCES users (id),
    notify_by_email BOOLEAN NOT NULL,
    quiet_hours_start TEXT,
    quiet_hours_end TEXT,
    auth_version BIGINT NOT NULL,
    version BIGINT NOT NULL,
    last_seen_at TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX relatives_case ON relatives (case_id);
CREATE INDEX relatives_email ON relatives (email);
CREATE INDEX relatives_name ON relatives (full_name);

CREATE TABLE relative_versions (
    id TEXT PRIMARY KEY NOT NULL,
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    version BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    changed_by TEXT REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL,
    UNIQUE (relative_id, version)
);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    occurred_at TIMESTAMP NOT NULL,
    officer_id TEXT NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL CHECK (channel IN ('visit', 'phone', 'video', 'email', 'letter', 'portal_message', 'other')),
    direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    duration_minutes INTEGER CHECK (duration_minutes IS NULL OR duration_minutes BETWEEN 0 AND 1440),
    discussion TEXT NOT NULL,
    family_summary TEXT,
    agreed_actions TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX contacts_case_time ON contacts (case_id, occurred_at);
CREATE INDEX contacts_officer_time ON contacts (officer_id, occurred_at);

CREATE TABLE contact_relatives (
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    PRIMARY KEY (contact_id, relative_id)
);
CREATE INDEX contact_relatives_relative ON contact_relatives (relative_id);

CREATE TABLE contact_amendments (
    id TEXT PRIMARY KEY NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    reason TEXT NOT NULL,
    occurred_at TIMESTAMP,
    channel TEXT CHECK (channel IS NULL OR channel IN ('visit', 'phone', 'video', 'email', 'letter', 'portal_message', 'other')),
    direction TEXT CHECK (direction IS NULL OR direction IN ('outbound', 'inbound')),
    duration_minutes INTEGER,
    discussion TEXT,
    family_summary TEXT,
    agreed_actions TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX contact_amendments_contact ON contact_amendments (contact_id, recorded_at);
CREATE INDEX contact_amendments_case ON contact_amendments (case_id, recorded_at);

CREATE TABLE follow_ups (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    purpose TEXT NOT NULL,
    assignee_id TEXT NOT NULL REFERENCES users (id),
    due_at TIMESTAMP NOT NULL,
    relative_id TEXT REFERENCES relatives (id),
    is_appointment BOOLEAN NOT NULL,
    place TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    source_contact_id TEXT REFERENCES contacts (id),
    completed_at TIMESTAMP,
    completed_by TEXT REFERENCES users (id),
    completed_contact_id TEXT REFERENCES contacts (id),
    cancelled_at TIMESTAMP,
    cancelled_by TEXT REFERENCES users (id),
    cancel_reason TEXT,
    reminder_at TIMESTAMP,
    escalation_at TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX follow_ups_case_due ON follow_ups (case_id, due_at);
CREATE INDEX follow_ups_assignee ON follow_ups (assignee_id, status, due_at);
CREATE INDEX follow_ups_status_due ON follow_ups (status, due_at);

CREATE TABLE follow_up_events (
    id TEXT PRIMARY KEY NOT NULL,
    follow_up_id TEXT NOT NULL REFERENCES follow_ups (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    event TEXT NOT NULL CHECK (event IN ('created', 'reassigned', 'rescheduled', 'completed', 'cancelled')),
    detail TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users (id),
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX follow_up_events_follow_up ON follow_up_events (follow_up_id, occurred_at);

CREATE TABLE update_reads (
    update_id TEXT NOT NULL REFERENCES case_updates (id),
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    first_read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (update_id, relative_id)
);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    from_relative_id TEXT REFERENCES relatives (id),
    from_user_id TEXT REFERENCES users (id),
    category TEXT CHECK (category IS NULL OR category IN ('question', 'investigation_concern', 'practical_matter', 'other')),
    body TEXT NOT NULL,
    in_reply_to TEXT REFERENCES messages (id),
    sent_at TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT REFERENCES users (id),
    answered_at TIMESTAMP,
    answered_by TEXT REFERENCES users (id),
    answer_message_id TEXT REFERENCES messages (id),
    closed_at TIMESTAMP,
    closed_by TEXT REFERENCES users (id),
    closing_response TEXT,
    CHECK ((from_relative_id IS NULL AND from_user_id IS NOT NULL) OR (from_relative_id IS NOT NULL AND from_user_id IS NULL))
);
CREATE INDEX messages_case_time ON messages (case_id, sent_at);
CREATE INDEX messages_waiting ON messages (answered_at, sent_at);

CREATE TABLE message_reads (
    message_id TEXT NOT NULL REFERENCES messages (id),
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    first_read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (message_id, relative_id)
);

CREATE TABLE property_items (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held_as_evidence', 'released', 'returned_to_family')),
    held_since DATE,
    released_on DATE,
    returned_on DATE,
    received_by TEXT,
    staff_notes TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX property_items_case ON property_items (case_id);

CREATE TABLE property_events (
    id TEXT PRIMARY KEY NOT NULL,
    item_id TEXT NOT NULL REFERENCES property_items (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    status TEXT NOT NULL CHECK (status IN ('held_as_evidence', 'released', 'returned_to_family')),
    occurred_on DATE NOT NULL,
    received_by TEXT,
    note TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX property_events_case ON property_events (case_id, recorded_at);

-- The outbox: one row per recipient and channel, written in the transaction of its cause.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'portal')),
    recipient_user_id TEXT REFERENCES users (id),
    recipient_relative_id TEXT REFERENCES relatives (id),
    case_id TEXT REFERENCES cases (id),
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    read_at TIMESTAMP,
    CHECK ((recipient_user_id IS NULL AND recipient_relative_id IS NOT NULL) OR (recipient_user_id IS NOT NULL AND recipient_relative_id IS NULL))
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_user_inbox ON notifications (recipient_user_id, channel, created_at);
CREATE INDEX notifications_relative_inbox ON notifications (recipient_relative_id, channel, created_at);

-- Who did what to which record, and when. Append-only; no foreign keys, so that an
-- attempt on a record that does not exist is recorded as faithfully as any other.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('staff', 'relative', 'system', 'anonymous')),
    actor_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    record_kind TEXT,
    record_id TEXT,
    case_id TEXT,
    ip TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
CREATE INDEX audit_events_case ON audit_events (case_id, occurred_at);
CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('staff', 'relative')),
    user_id TEXT REFERENCES users (id),
    relative_id TEXT REFERENCES relatives (id),
    client TEXT NOT NULL CHECK (client IN ('browser', 'api')),
    persistent BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_reason TEXT,
    ip TEXT,
    user_agent TEXT,
    CHECK ((user_id IS NULL AND relative_id IS NOT NULL) OR (user_id IS NOT NULL AND relative_id IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_relative ON sessions (relative_id);

CREATE TABLE sign_in_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'sign_in')),
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_by TEXT REFERENCES users (id),
    requested_ip TEXT
);
CREATE INDEX sign_in_tokens_relative ON sign_in_tokens (relative_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id)
);

CREATE TABLE setting_changes (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT NOT NULL,
    effective_from TIMESTAMP NOT NULL,
    changed_by TEXT REFERENCES users (id)
);
CREATE INDEX setting_changes_key ON setting_changes (key, effective_from);

CREATE TABLE bank_holidays (
    holiday_on DATE PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
);

-- Fixed-window counters for rate limits shared by every app instance.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL
);

-- Append-only records: the database itself refuses UPDATE and DELETE.
CREATE TRIGGER contacts_no_update BEFORE UPDATE ON contacts
BEGIN SELECT RAISE(ABORT, 'contacts is append-only: record an amendment instead'); END;
CREATE TRIGGER contacts_no_delete BEFORE DELETE ON contacts
BEGIN SELECT RAISE(ABORT, 'contacts is append-only: record an amendment instead'); END;
CREATE TRIGGER contact_relatives_no_update BEFORE UPDATE ON contact_relatives
BEGIN SELECT RAISE(ABORT, 'contact_relatives is append-only'); END;
CREATE TRIGGER contact_relatives_no_delete BEFORE DELETE ON contact_relatives
BEGIN SELECT RAISE(ABORT, 'contact_relatives is append-only'); END;
CREATE TRIGGER contact_amendments_no_update BEFORE UPDATE ON contact_amendments
BEGIN SELECT RAISE(ABORT, 'contact_amendments is append-only'); END;
CREATE TRIGGER contact_amendments_no_delete BEFORE DELETE ON contact_amendments
BEGIN SELECT RAISE(ABORT, 'contact_amendments is append-only'); END;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
