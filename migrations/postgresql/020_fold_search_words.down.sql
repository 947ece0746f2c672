-- 020_fold_search_words.down.sql (PostgreSQL) — undoes 020: the search column is generated
-- from the text as 010 made it (accents kept, paths and host names one word), and the two
-- functions are dropped. No data is lost: the column is computed from title and description.
BEGIN;
ALTER TABLE courses DROP COLUMN search;
DROP FUNCTION course_search(TEXT, TEXT);
DROP FUNCTION search_text(TEXT);
ALTER TABLE courses ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(description, '')), 'B')
) STORED;
CREATE INDEX courses_fts ON courses USING GIN (search);
DELETE FROM schema_migrations WHERE version = '020';
COMMIT;
