-- Appointments a family can read and answer. `family_title` and `family_note` are what the
-- family reads (the officer's `purpose` stays staff-only). `appointment_answers` keeps each
-- answer a relative gave ("this suits me" or "please change it", with a note), with the
-- time it answered about; it is on the record, so the database refuses to change it.
ALTER TABLE follow_ups ADD COLUMN family_title TEXT;
ALTER TABLE follow_ups ADD COLUMN family_note TEXT;

CREATE TABLE appointment_answers (
    id TEXT PRIMARY KEY NOT NULL,
    follow_up_id TEXT NOT NULL REFERENCES follow_ups (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    relative_id TEXT NOT NULL REFERENCES relatives (id),
    answer TEXT NOT NULL CHECK (answer IN ('suits', 'change')),
    note TEXT,
    due_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP NOT NULL
);
CREATE INDEX appointment_answers_follow_up ON appointment_answers (follow_up_id);

CREATE TRIGGER appointment_answers_append_only BEFORE UPDATE OR DELETE ON appointment_answers
    FOR EACH ROW EXECUTE FUNCTION liaison_reject_change();
CREATE TRIGGER appointment_answers_no_truncate BEFORE TRUNCATE ON appointment_answers
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_reject_change();
