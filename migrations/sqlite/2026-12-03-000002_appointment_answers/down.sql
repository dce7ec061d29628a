DROP TRIGGER appointment_answers_no_delete;
DROP TRIGGER appointment_answers_no_update;
DROP TABLE appointment_answers;
ALTER TABLE follow_ups DROP COLUMN family_note;
ALTER TABLE follow_ups DROP COLUMN family_title;
