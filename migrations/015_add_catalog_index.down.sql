-- 015_add_catalog_index.down.sql — undoes 015: restores 008's idx_courses_published and
-- drops the composite catalog index (no data is lost; the catalog sorts again).
BEGIN;
CREATE INDEX idx_courses_published  ON courses(is_published);  -- exactly as 008 wrote it
DROP INDEX idx_courses_catalog;
DELETE FROM schema_migrations WHERE version = '015';
COMMIT;
