-- Operations: cases that may be connected (the same suspect, place or circumstances) are
-- linked into a named operation, so that no death is treated in isolation. A case belongs to
-- at most one operation at a time; linking is transitive within it. A manager may merge two
-- operations: the cases of one move to the other (each move kept in `operation_cases`), and
-- the first records where it went. `operation_cases` keeps every case added and removed with
-- the reasons.
--
-- Each connected group of today's pairwise linked cases (`case_links`, links not removed)
-- becomes one operation whose id is the id of its first case (in id order), named after that
-- case's reference; each case's membership keeps the reasons of its links and who made the
-- first of them. `case_links` is kept as it was and no longer written.

CREATE TABLE operations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    merged_into TEXT REFERENCES operations (id),
    merged_by TEXT REFERENCES users (id),
    merged_at TIMESTAMP,
    merge_reason TEXT,
    CHECK ((merged_into IS NULL) = (merged_at IS NULL))
);

CREATE TABLE operation_cases (
    id TEXT PRIMARY KEY NOT NULL,
    operation_id TEXT NOT NULL REFERENCES operations (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    added_by TEXT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP,
    removed_by TEXT REFERENCES users (id),
    removal_reason TEXT,
    CHECK ((removed_at IS NULL) = (removal_reason IS NULL))
);
-- One operation a case at a time.
CREATE UNIQUE INDEX operation_cases_current ON operation_cases (case_id) WHERE removed_at IS NULL;
CREATE INDEX operation_cases_operation ON operation_cases (operation_id);

-- Every case linked now, with the first case (in id order) it is connected to.
CREATE TEMPORARY TABLE link_components AS
WITH RECURSIVE edges (a, b) AS (
    SELECT case_id_a, case_id_b FROM case_links WHERE removed_at IS NULL
    UNION
    SELECT case_id_b, case_id_a FROM case_links WHERE removed_at IS NULL
),
reach (root, node) AS (
    SELECT a, a FROM edges
    UNION
    SELECT reach.root, edges.b FROM reach JOIN edges ON edges.a = reach.node
)
SELECT node AS case_id, MIN(root) AS root FROM reach GROUP BY node;

INSERT INTO operations (id, name, created_by, created_at)
SELECT r.root,
       'Linked cases ' || c.reference,
       (SELECT l.created_by FROM case_links l JOIN link_components m ON m.case_id = l.case_id_a
        WHERE m.root = r.root AND l.removed_at IS NULL ORDER BY l.created_at, l.id LIMIT 1),
       (SELECT MIN(l.created_at) FROM case_links l JOIN link_components m ON m.case_id = l.case_id_a
        WHERE m.root = r.root AND l.removed_at IS NULL)
FROM (SELECT DISTINCT root FROM link_components) r
JOIN cases c ON c.id = r.root;

INSERT INTO operation_cases (id, operation_id, case_id, reason, added_by, added_at)
SELECT m.case_id, m.root, m.case_id,
       (SELECT string_agg(l.reason, '; ' ORDER BY l.created_at, l.id) FROM case_links l
        WHERE l.removed_at IS NULL AND (l.case_id_a = m.case_id OR l.case_id_b = m.case_id)),
       (SELECT l.created_by FROM case_links l
        WHERE l.removed_at IS NULL AND (l.case_id_a = m.case_id OR l.case_id_b = m.case_id)
        ORDER BY l.created_at, l.id LIMIT 1),
       (SELECT MIN(l.created_at) FROM case_links l
        WHERE l.removed_at IS NULL AND (l.case_id_a = m.case_id OR l.case_id_b = m.case_id))
FROM link_components m;

DROP TABLE link_components;
