-- 003_create_lessons.down.sql — undoes 003: drops lessons.
BEGIN;
DROP TABLE lessons;
DELETE FROM schema_migrations WHERE version = '003';
COMMIT;
