-- Back to the six stages: each milestone maps to the stage it grew from (second post-mortem
-- and release of the body to post-mortem examination; charge to charging decision; every
-- hearing, trial and inquest milestone to court or inquest). Milestones marked not needed and
-- type changes are dropped with their tables.
DROP TRIGGER case_stage_history_no_update;
DROP TRIGGER case_stage_history_no_delete;
DROP TRIGGER case_type_changes_no_update;
DROP TRIGGER case_type_changes_no_delete;
DROP TRIGGER case_milestones_no_update;
DROP TRIGGER case_milestones_no_delete;
DROP TRIGGER case_milestones_view_case_insert;
DROP TRIGGER case_milestones_view_case_update;
DROP TRIGGER case_milestones_view_case_delete;
DROP TRIGGER cases_view_case_update;

ALTER TABLE cases ADD COLUMN stage TEXT NOT NULL DEFAULT 'family_liaison_deployed' CHECK (stage IN ('family_liaison_deployed', 'post_mortem', 'investigation', 'charging_decision', 'court_or_inquest', 'concluded'));
ALTER TABLE case_updates ADD COLUMN stage TEXT CHECK (stage IS NULL OR stage IN ('family_liaison_deployed', 'post_mortem', 'investigation', 'charging_decision', 'court_or_inquest', 'concluded'));
UPDATE cases SET stage = CASE
    WHEN milestone IN ('family_liaison_deployed', 'post_mortem', 'investigation', 'concluded') THEN milestone
    WHEN milestone IN ('second_post_mortem', 'release_of_body') THEN 'post_mortem'
    WHEN milestone = 'charge' THEN 'charging_decision'
    ELSE 'court_or_inquest' END;
UPDATE case_updates SET stage = CASE
    WHEN milestone IN ('family_liaison_deployed', 'post_mortem', 'investigation', 'concluded') THEN milestone
    WHEN milestone IN ('second_post_mortem', 'release_of_body') THEN 'post_mortem'
    WHEN milestone = 'charge' THEN 'charging_decision'
    ELSE 'court_or_inquest' END
WHERE milestone IS NOT NULL;
ALTER TABLE case_updates DROP COLUMN milestone;
ALTER TABLE cases DROP COLUMN milestone;
ALTER TABLE cases DROP COLUMN case_type;
DROP TABLE case_type_changes;
DROP TABLE case_milestones;

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
