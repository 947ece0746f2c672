-- 011_add_course_prerequisites.down.sql (PostgreSQL) — undoes 011: drops the trigger
-- functions (and their triggers), then course_prerequisites. Enrollments stay.
BEGIN;
DROP FUNCTION enrollments_require_prerequisites() CASCADE;
DROP TABLE course_prerequisites;
DROP FUNCTION course_prerequisites_no_cycle();
DELETE FROM schema_migrations WHERE version = '011';
COMMIT;
