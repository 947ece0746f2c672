-- 005_create_enrollments.down.sql (PostgreSQL) — undoes 005.
BEGIN;
DROP TABLE enrollments;
DELETE FROM schema_migrations WHERE version = '005';
COMMIT;
