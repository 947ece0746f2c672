-- 016_guard_quiz_and_prerequisite_updates.down.sql — undoes 016: drops its six triggers.
-- No row is touched; UPDATE and REPLACE are guarded again only by 011 and 013.
BEGIN;
DROP TRIGGER enrollments_require_prerequisites_move;
DROP TRIGGER quiz_attempts_no_replace;
DROP TRIGGER quiz_answers_no_replace;
DROP TRIGGER questions_answered_stay_in_quiz;
DROP TRIGGER questions_answered_no_replace;
DROP TRIGGER choices_answered_no_replace;
DELETE FROM schema_migrations WHERE version = '016';
COMMIT;
