-- Back to the six stages: each milestone maps to the stage it grew from (second post-mortem
-- and release of the body to post-mortem examination; charge to charging decision; every
-- hearing, trial and inquest milestone to court or inquest). Milestones marked not needed and
-- type changes are dropped with their tables.
DROP TRIGGER case_milestones_append_only ON case_milestones;
DROP TRIGGER case_milestones_no_truncate ON case_milestones;
DROP TRIGGER case_type_changes_append_only ON case_type_changes;
DROP TRIGGER case_type_changes_no_truncate ON case_type_changes;
DROP TRIGGER case_stage_history_append_only ON case_stage_history;
DROP TRIGGER case_stage_history_no_truncate ON case_stage_history;
DROP TRIGGER case_milestones_view_case_insert ON case_milestones;
DROP TRIGGER case_milestones_view_case_update ON case_milestones;
DROP TRIGGER case_milestones_view_case_delete ON case_milestones;
DROP TRIGGER cases_view_case_update ON cases;

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

ALTER TABLE cases ALTER COLUMN stage DROP DEFAULT;

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
