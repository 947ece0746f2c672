-- 011_add_course_prerequisites.down.sql — undoes 011: drops the enrollment and cycle
-- triggers, then course_prerequisites (and its index with it). Enrollments stay.
BEGIN;
DROP TRIGGER enrollments_require_prerequisites_insert;
DROP TRIGGER enrollments_require_prerequisites_update;
DROP TRIGGER course_prerequisites_no_cycle_insert;
DROP TRIGGER course_prerequisites_no_cycle_update;
DROP TABLE course_prerequisites;
DELETE FROM schema_migrations WHERE version = '011';
COMMIT;
