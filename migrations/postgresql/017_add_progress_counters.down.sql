-- 017_add_progress_counters.down.sql (PostgreSQL) — undoes 017: drops its functions (and
-- with them their triggers), its index and its columns. No data is lost: 017 recomputes each
-- of them from progress and courses.
BEGIN;
DROP FUNCTION lessons_done_progress_keep() CASCADE;
DROP FUNCTION enrollment_copies_fill() CASCADE;
DROP FUNCTION lessons_done_enrollment_keep() CASCADE;
DROP FUNCTION enrollment_copies_course_title() CASCADE;
DROP FUNCTION lessons_done_lesson_delete() CASCADE;
DROP FUNCTION lessons_done_section_delete() CASCADE;
DROP FUNCTION lessons_done_lesson_move() CASCADE;
DROP FUNCTION lessons_done_section_move() CASCADE;
DROP FUNCTION lessons_done_of(TEXT, TEXT);
DROP FUNCTION course_of_lesson(TEXT);
DROP INDEX idx_enrollments_not_started;
ALTER TABLE enrollments DROP COLUMN course_title;
ALTER TABLE courses     DROP COLUMN completed_count;
ALTER TABLE courses     DROP COLUMN lessons_done_sum;
ALTER TABLE enrollments DROP COLUMN lessons_done;
DELETE FROM schema_migrations WHERE version = '017';
COMMIT;
