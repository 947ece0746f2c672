-- 018_quote_courses_fts_content.sql
-- Changes: courses_fts is declared again with content="courses" (quoted): the same columns,
--          the same rows, the same three triggers of 010.
-- Why: tools find an external-content index by its declaration. sqlite-utils' `search` (and
--      its Python API) looks for content="courses" or content=[courses] in the index's SQL;
--      010 wrote content=courses, which SQLite reads the same and sqlite-utils does not
--      recognise. 010 is applied and may not be edited (the runner refuses a changed
--      checksum), so the fix is a new migration: how every fix to an applied one is made.
-- How: an FTS5 table's options cannot be altered. It is dropped and created again, then
--      'rebuild' fills it from courses. 010's triggers name courses_fts and are resolved each
--      time they fire, so they keep the new table in sync; nothing else names it.
-- Requires: 010.
BEGIN;

DROP TABLE courses_fts;

CREATE VIRTUAL TABLE courses_fts USING fts5(
    title, description, content="courses", content_rowid=rowid
);

INSERT INTO courses_fts(courses_fts) VALUES ('rebuild');

INSERT INTO schema_migrations (version, name) VALUES ('018', 'quote_courses_fts_content');
COMMIT;
