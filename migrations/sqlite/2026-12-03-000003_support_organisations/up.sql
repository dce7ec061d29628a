-- Support organisations families can contact, kept by the administrator (no case content):
-- each with a name and a description in English and, optionally, Welsh, a phone number, a
-- website and hours, in the order families read them. Removing one keeps the row
-- (`removed_at`); every change is in the audit log. The national defaults below carry no
-- phone number where it is the force's to give (the coroner's office) or to check before
-- going live (the homicide and bereavement services).
CREATE TABLE support_organisations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    name_cy TEXT,
    description TEXT NOT NULL CHECK (length(trim(description)) > 0),
    description_cy TEXT,
    phone TEXT,
    website TEXT,
    hours TEXT,
    position INTEGER NOT NULL,
    updated_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP
);

INSERT INTO support_organisations (id, name, name_cy, description, description_cy, phone, website, hours, position, updated_by, updated_at, removed_at) VALUES
('00000000000000000000000001', 'Emergency services', 'Gwasanaethau brys', 'Call straight away, day or night, if you are in danger, someone is hurt or a crime is happening now.', 'Ffoniwch ar unwaith, ddydd neu nos, os ydych chi mewn perygl, os oes rhywun wedi''i anafu neu os oes trosedd yn digwydd nawr.', '999', NULL, NULL, 1, NULL, CURRENT_TIMESTAMP, NULL),
('00000000000000000000000002', 'Police non-emergency number', 'Rhif yr heddlu pan nad yw''n argyfwng', 'For contacting the police, day or night, about anything that is not an emergency.', 'Ar gyfer cysylltu â''r heddlu, ddydd neu nos, am unrhyw beth nad yw''n argyfwng.', '101', NULL, NULL, 2, NULL, CURRENT_TIMESTAMP, NULL),
('00000000000000000000000003', 'The national homicide support service', 'Y gwasanaeth cymorth lladdiad cenedlaethol', 'Specialist support for families who have lost someone through murder or manslaughter. Your family liaison officer can refer you.', 'Cymorth arbenigol i deuluoedd sydd wedi colli rhywun drwy lofruddiaeth neu ddynladdiad. Gall eich swyddog cyswllt teulu eich atgyfeirio.', NULL, NULL, NULL, 3, NULL, CURRENT_TIMESTAMP, NULL),
('00000000000000000000000004', 'Bereavement support helpline', 'Llinell gymorth profedigaeth', 'A chance to talk to someone about your grief and how you are feeling.', 'Cyfle i siarad â rhywun am eich galar a sut rydych chi''n teimlo.', NULL, NULL, NULL, 4, NULL, CURRENT_TIMESTAMP, NULL),
('00000000000000000000000005', 'The coroner''s office', 'Swyddfa''r crwner', 'The coroner''s officer can answer your questions about the post-mortem, the release of the body and the inquest. Your family liaison officer will give you their number.', 'Gall swyddog y crwner ateb eich cwestiynau am yr archwiliad post-mortem, rhyddhau''r corff a''r cwest. Bydd eich swyddog cyswllt teulu yn rhoi eu rhif i chi.', NULL, NULL, NULL, 5, NULL, CURRENT_TIMESTAMP, NULL);
