-- Case types and milestones. A case has a type (homicide, road death, unexplained death,
-- other) that decides its milestones; `case_milestones` keeps every milestone reached (with
-- its date), marked not needed (with a reason) or needed after all, and the database refuses
-- to change it. `cases.milestone` is the furthest milestone of the case's type reached, kept
-- in the same transaction as each record. `case_type_changes` keeps every change of type
-- with its reason.
--
-- Every existing case becomes type 'other'. Its stages map to milestones: family liaison
-- deployed, post-mortem examination, investigation and concluded to themselves; charging
-- decision to charge; court or inquest to trial where the case reached a charging decision and
-- to inquest otherwise. `case_stage_history` keeps the original names (and is now
-- append-only); each of its rows is copied into `case_milestones` with the same id, its
-- original name in `mapped_from` where the name changed. The date a stage was reached is the
-- UTC date of its time.

CREATE TABLE case_milestones (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    milestone TEXT NOT NULL CHECK (milestone IN ('family_liaison_deployed', 'post_mortem', 'second_post_mortem', 'release_of_body', 'investigation', 'charge', 'first_hearing', 'trial', 'verdict', 'sentence', 'inquest_opened', 'inquest_resumed', 'pre_inquest_review', 'inquest', 'concluded')),
    -- reached (on `reached_on`); not_needed (does not apply, `reason`); needed (after all, `reason`).
    state TEXT NOT NULL CHECK (state IN ('reached', 'not_needed', 'needed')),
    reached_on DATE,
    reason TEXT,
    -- The update that recorded it, where one did (shared with the family or staff only).
    update_id TEXT REFERENCES case_updates (id),
    mapped_from TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    CHECK ((state = 'reached') = (reached_on IS NOT NULL)),
    CHECK (state = 'reached' OR length(trim(coalesce(reason, ''))) > 0)
);
CREATE INDEX case_milestones_case ON case_milestones (case_id, recorded_at);

CREATE TABLE case_type_changes (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    previous_type TEXT NOT NULL CHECK (previous_type IN ('homicide', 'road_death', 'unexplained_death', 'other')),
    case_type TEXT NOT NULL CHECK (case_type IN ('homicide', 'road_death', 'unexplained_death', 'other')),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    changed_by TEXT NOT NULL REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX case_type_changes_case ON case_type_changes (case_id, changed_at);

ALTER TABLE cases ADD COLUMN case_type TEXT NOT NULL DEFAULT 'other' CHECK (case_type IN ('homicide', 'road_death', 'unexplained_death', 'other'));
ALTER TABLE cases ADD COLUMN milestone TEXT NOT NULL DEFAULT 'family_liaison_deployed' CHECK (milestone IN ('family_liaison_deployed', 'post_mortem', 'second_post_mortem', 'release_of_body', 'investigation', 'charge', 'first_hearing', 'trial', 'verdict', 'sentence', 'inquest_opened', 'inquest_resumed', 'pre_inquest_review', 'inquest', 'concluded'));
ALTER TABLE case_updates ADD COLUMN milestone TEXT CHECK (milestone IS NULL OR milestone IN ('family_liaison_deployed', 'post_mortem', 'second_post_mortem', 'release_of_body', 'investigation', 'charge', 'first_hearing', 'trial', 'verdict', 'sentence', 'inquest_opened', 'inquest_resumed', 'pre_inquest_review', 'inquest', 'concluded'));

UPDATE cases SET milestone = CASE stage
    WHEN 'charging_decision' THEN 'charge'
    WHEN 'court_or_inquest' THEN CASE WHEN EXISTS (
        SELECT 1 FROM case_stage_history h WHERE h.case_id = cases.id AND h.stage = 'charging_decision'
    ) THEN 'trial' ELSE 'inquest' END
    ELSE stage END;

UPDATE case_updates SET milestone = CASE stage
    WHEN 'charging_decision' THEN 'charge'
    WHEN 'court_or_inquest' THEN CASE WHEN EXISTS (
        SELECT 1 FROM case_stage_history h WHERE h.case_id = case_updates.case_id AND h.stage = 'charging_decision'
    ) THEN 'trial' ELSE 'inquest' END
    ELSE stage END
WHERE stage IS NOT NULL;

INSERT INTO case_milestones (id, case_id, milestone, state, reached_on, reason, update_id, mapped_from, recorded_by, recorded_at)
SELECT id, case_id, milestone, 'reached', reached_on, NULL, update_id,
       CASE WHEN milestone <> stage THEN stage END, recorded_by, recorded_at
FROM (
    SELECT h.id, h.case_id, h.stage, date(h.reached_at) AS reached_on, h.update_id, h.recorded_by, h.recorded_at,
           CASE h.stage
               WHEN 'charging_decision' THEN 'charge'
               WHEN 'court_or_inquest' THEN CASE WHEN EXISTS (
                   SELECT 1 FROM case_stage_history c WHERE c.case_id = h.case_id AND c.stage = 'charging_decision'
               ) THEN 'trial' ELSE 'inquest' END
               ELSE h.stage END AS milestone
    FROM case_stage_history h
) AS mapped;

-- The family's view now follows the type and milestones, no longer the stage history.
DROP TRIGGER cases_view_case_update;
DROP TRIGGER case_stage_history_view_case_insert;
DROP TRIGGER case_stage_history_view_case_update;
DROP TRIGGER case_stage_history_view_case_delete;
ALTER TABLE cases DROP COLUMN stage;
ALTER TABLE case_updates DROP COLUMN stage;

CREATE TRIGGER cases_view_case_update AFTER UPDATE OF reference, deceased_name, status, case_type, milestone ON cases
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.id IS NOT NULL AND OLD.id IS NOT NEW.id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_milestones_view_case_insert AFTER INSERT ON case_milestones
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_milestones_view_case_update AFTER UPDATE ON case_milestones
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || NEW.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || NEW.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL AND OLD.case_id IS NOT NEW.case_id
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_milestones_view_case_delete AFTER DELETE ON case_milestones
BEGIN
    INSERT INTO view_changes (scope, version, changed_ms)
    SELECT 'c:' || OLD.case_id, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) WHERE 'c:' || OLD.case_id IS NOT NULL
    ON CONFLICT (scope) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms;
END;

CREATE TRIGGER case_milestones_no_update BEFORE UPDATE ON case_milestones
BEGIN SELECT RAISE(ABORT, 'case_milestones is append-only'); END;
CREATE TRIGGER case_milestones_no_delete BEFORE DELETE ON case_milestones
BEGIN SELECT RAISE(ABORT, 'case_milestones is append-only'); END;
CREATE TRIGGER case_type_changes_no_update BEFORE UPDATE ON case_type_changes
BEGIN SELECT RAISE(ABORT, 'case_type_changes is append-only'); END;
CREATE TRIGGER case_type_changes_no_delete BEFORE DELETE ON case_type_changes
BEGIN SELECT RAISE(ABORT, 'case_type_changes is append-only'); END;
CREATE TRIGGER case_stage_history_no_update BEFORE UPDATE ON case_stage_history
BEGIN SELECT RAISE(ABORT, 'case_stage_history is append-only'); END;
CREATE TRIGGER case_stage_history_no_delete BEFORE DELETE ON case_stage_history
BEGIN SELECT RAISE(ABORT, 'case_stage_history is append-only'); END;
