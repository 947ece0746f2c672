-- 004_create_tags_and_course_tags.down.sql (PostgreSQL) — undoes 004.
BEGIN;
DROP TABLE course_tags;
DROP TABLE tags;
DELETE FROM schema_migrations WHERE version = '004';
COMMIT;
