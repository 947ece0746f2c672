-- 016_guard_quiz_and_prerequisite_updates.down.sql (PostgreSQL) — undoes 016: drops the
-- question trigger and restores 011's enrollment function exactly. No row is touched.
BEGIN;
DROP FUNCTION questions_answered_stay_in_quiz() CASCADE;

CREATE OR REPLACE FUNCTION enrollments_require_prerequisites() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM course_prerequisites cp
        WHERE cp.course_id = NEW.course_id
          AND NOT EXISTS (SELECT 1 FROM enrollments e
                          WHERE e.user_id = NEW.user_id
                            AND e.course_id = cp.prerequisite_id
                            AND e.completed_at IS NOT NULL)
    ) THEN
        RAISE EXCEPTION 'enrollment refused: the user has not completed every prerequisite of this course';
    END IF;
    RETURN NEW;
END $$;

DELETE FROM schema_migrations WHERE version = '016';
COMMIT;
