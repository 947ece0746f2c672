-- 002_create_courses_and_sections.down.sql (PostgreSQL) — drops sections, then courses.
BEGIN;
DROP TABLE sections;
DROP TABLE courses;
DELETE FROM schema_migrations WHERE version = '002';
COMMIT;
