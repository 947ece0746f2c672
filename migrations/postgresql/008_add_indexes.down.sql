-- 008_add_indexes.down.sql (PostgreSQL) — undoes 008: drops its indexes (no data is lost).
BEGIN;
DROP INDEX idx_sections_course_id;
DROP INDEX idx_lessons_section_id;
DROP INDEX idx_enrollments_course_id;
DROP INDEX idx_progress_lesson_id;
DROP INDEX idx_reviews_course_id;
DROP INDEX idx_reviews_user_id;
DROP INDEX idx_course_tags_tag_id;
DROP INDEX idx_sections_position;
DROP INDEX idx_lessons_position;
DROP INDEX idx_courses_published;
DROP INDEX idx_courses_difficulty;
DELETE FROM schema_migrations WHERE version = '008';
COMMIT;
