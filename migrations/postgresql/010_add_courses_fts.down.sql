-- 010_add_courses_fts.down.sql (PostgreSQL) — undoes 010: drops the search column and its
-- index. No data is lost: the column is computed from title and description.
BEGIN;
DROP INDEX courses_fts;
ALTER TABLE courses DROP COLUMN search;
DELETE FROM schema_migrations WHERE version = '010';
COMMIT;
