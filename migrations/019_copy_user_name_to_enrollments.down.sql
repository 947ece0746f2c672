-- 019_copy_user_name_to_enrollments.down.sql — undoes 019: drops its triggers and the copy,
-- and gives the never-started index back its columns of 017. No data is lost: the copy is
-- recomputed from users.
BEGIN;
DROP TRIGGER users_name_to_enrollments;
DROP TRIGGER enrollment_copies_user_name_rekey;
DROP TRIGGER enrollment_copies_user_name_insert;
DROP INDEX idx_enrollments_not_started;
ALTER TABLE enrollments DROP COLUMN user_name;
CREATE INDEX idx_enrollments_not_started
    ON enrollments(enrolled_at, user_id, course_id, course_title, lessons_done)
    WHERE lessons_done = 0;
DELETE FROM schema_migrations WHERE version = '019';
COMMIT;
