-- 005_create_enrollments.down.sql — undoes 005: drops enrollments.
BEGIN;
DROP TABLE enrollments;
DELETE FROM schema_migrations WHERE version = '005';
COMMIT;
