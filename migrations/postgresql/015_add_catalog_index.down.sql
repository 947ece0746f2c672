-- 015_add_catalog_index.down.sql (PostgreSQL) — undoes 015.
BEGIN;
CREATE INDEX idx_courses_published  ON courses(is_published);  -- exactly as 008 wrote it
DROP INDEX idx_courses_catalog;
DELETE FROM schema_migrations WHERE version = '015';
COMMIT;
