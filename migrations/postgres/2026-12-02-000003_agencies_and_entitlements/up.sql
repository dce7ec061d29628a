-- Other agencies, referrals and Victims' Code entitlements.
--
-- `agency_contacts`: named contacts outside the force (a coroner's officer, Crown Prosecution
-- Service witness care, a homicide support caseworker, an interpreter, another force's FLO),
-- shown to the family where staff choose (to every family group, or to one). A contact is
-- ended with a reason, never deleted; new details are a new contact.
--
-- `referrals`: per relative, a referral to a support service offered on a day, accepted (only
-- with the relative's consent to pass on their details) or declined. `entitlements`: per
-- relative, each Victims' Code entitlement met on a day: the Victim Personal Statement
-- explained and offered, made or declined; the right to review explained; the complaint
-- route given. Both are on the record: the database refuses to change them.

CREATE TABLE agency_contacts (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    organisation TEXT NOT NULL CHECK (length(trim(organisation)) > 0),
    role TEXT NOT NULL CHECK (role IN ('coroners_officer', 'cps_witness_care', 'homicide_support', 'interpreter', 'other_force_flo', 'other')),
    role_detail TEXT,
    phone TEXT,
    email TEXT,
    hours TEXT,
    shared_with_family BOOLEAN NOT NULL,
    family_group_id TEXT REFERENCES family_groups (id),
    added_by TEXT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    ended_by TEXT REFERENCES users (id),
    end_reason TEXT,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX agency_contacts_case ON agency_contacts (case_id);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    organisation TEXT NOT NULL CHECK (length(trim(organisation)) > 0),
    offered_on DATE NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'declined')),
    -- The relative agreed to their details being passed on; required for an accepted one.
    consent BOOLEAN NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    CHECK (outcome = 'declined' OR consent)
);
CREATE INDEX referrals_relative ON referrals (relative_id);
CREATE INDEX referrals_case ON referrals (case_id);

CREATE TABLE entitlements (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    entitlement TEXT NOT NULL CHECK (entitlement IN ('vps_offered', 'vps_made', 'vps_declined', 'review_right_explained', 'complaint_route_given')),
    met_on DATE NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX entitlements_case ON entitlements (case_id);

-- What a family sees: shared agency contacts (the case's view) and a relative's own referrals.
CREATE TRIGGER agency_contacts_view_case_insert AFTER INSERT ON agency_contacts
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER agency_contacts_view_case_update AFTER UPDATE ON agency_contacts
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER agency_contacts_view_case_delete AFTER DELETE ON agency_contacts
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('c:', 'case_id');

CREATE TRIGGER referrals_view_relative_insert AFTER INSERT ON referrals
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER referrals_view_relative_update AFTER UPDATE ON referrals
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER referrals_view_relative_delete AFTER DELETE ON referrals
FOR EACH ROW
EXECUTE FUNCTION liaison_view_trigger('r:', 'relative_id');

CREATE TRIGGER referrals_append_only BEFORE UPDATE OR DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION liaison_reject_change();
CREATE TRIGGER referrals_no_truncate BEFORE TRUNCATE ON referrals
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_reject_change();
CREATE TRIGGER entitlements_append_only BEFORE UPDATE OR DELETE ON entitlements
    FOR EACH ROW EXECUTE FUNCTION liaison_reject_change();
CREATE TRIGGER entitlements_no_truncate BEFORE TRUNCATE ON entitlements
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_reject_change();
