-- 010_add_courses_fts.down.sql — undoes 010: drops the sync triggers and the index.
-- No data is lost: the index holds nothing that courses does not.
BEGIN;
DROP TRIGGER courses_fts_insert;
DROP TRIGGER courses_fts_delete;
DROP TRIGGER courses_fts_update;
DROP TABLE courses_fts;
DELETE FROM schema_migrations WHERE version = '010';
COMMIT;
