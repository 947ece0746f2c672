-- 003_create_lessons.down.sql (PostgreSQL) — undoes 003.
BEGIN;
DROP TABLE lessons;
DELETE FROM schema_migrations WHERE version = '003';
COMMIT;
