DROP TRIGGER appointment_answers_no_truncate ON appointment_answers;
DROP TRIGGER appointment_answers_append_only ON appointment_answers;
DROP TABLE appointment_answers;
ALTER TABLE follow_ups DROP COLUMN family_note;
ALTER TABLE follow_ups DROP COLUMN family_title;
