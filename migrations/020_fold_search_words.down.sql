-- 020_fold_search_words.down.sql — undoes 020: courses_fts declared as 018 left it (the
-- default tokenizer), rebuilt from courses; no data is lost (the text is in courses).
BEGIN;
DROP TABLE courses_fts;
CREATE VIRTUAL TABLE courses_fts USING fts5(
    title, description, content="courses", content_rowid=rowid
);
INSERT INTO courses_fts(courses_fts) VALUES ('rebuild');
DELETE FROM schema_migrations WHERE version = '020';
COMMIT;
