-- 017_add_progress_counters.down.sql — undoes 017: drops its triggers, its index and its
-- columns. No data is lost: 017 recomputes each of them from progress and courses.
BEGIN;
DROP TRIGGER lessons_done_progress_insert;
DROP TRIGGER lessons_done_progress_delete;
DROP TRIGGER lessons_done_progress_update;
DROP TRIGGER lessons_done_enrollment_insert;
DROP TRIGGER lessons_done_enrollment_delete;
DROP TRIGGER lessons_done_enrollment_update;
DROP TRIGGER lessons_done_enrollment_move;
DROP TRIGGER lessons_done_enrollment_rekey;
DROP TRIGGER enrollment_copies_course_title;
DROP TRIGGER lessons_done_lesson_delete;
DROP TRIGGER lessons_done_section_delete;
DROP TRIGGER lessons_done_lesson_update;
DROP TRIGGER lessons_done_section_update;
DROP INDEX idx_enrollments_not_started;
ALTER TABLE enrollments DROP COLUMN course_title;
ALTER TABLE courses     DROP COLUMN completed_count;
ALTER TABLE courses     DROP COLUMN lessons_done_sum;
ALTER TABLE enrollments DROP COLUMN lessons_done;
DELETE FROM schema_migrations WHERE version = '017';
COMMIT;
