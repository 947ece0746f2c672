-- 018_quote_courses_fts_content.down.sql — undoes 018: courses_fts declared as 010 wrote it
-- (content=courses, unquoted), rebuilt from courses; no data is lost (the text is in courses).
BEGIN;
DROP TABLE courses_fts;
CREATE VIRTUAL TABLE courses_fts USING fts5(
    title, description, content=courses, content_rowid=rowid
);
INSERT INTO courses_fts(courses_fts) VALUES ('rebuild');
DELETE FROM schema_migrations WHERE version = '018';
COMMIT;
