-- Operations go; `case_links`, kept as it was, is the record of links again (links made
-- through operations since are dropped with them).
DROP INDEX operation_cases_operation;
DROP INDEX operation_cases_current;
DROP TABLE operation_cases;
DROP TABLE operations;
