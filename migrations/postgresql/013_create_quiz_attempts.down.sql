-- 013_create_quiz_attempts.down.sql (PostgreSQL) — undoes 013: drops the score view, the
-- answers and attempts, their trigger functions and the unique index 013 put on choices.
-- Every quiz, question and choice of 012 stays.
BEGIN;
DROP VIEW attempt_scores;
DROP TABLE quiz_answers;
DROP TABLE quiz_attempts;
DROP FUNCTION quiz_attempts_number();
DROP FUNCTION refuse_edit();
DROP FUNCTION quiz_answers_question_in_quiz();
DROP INDEX idx_choices_question_id_id;
DELETE FROM schema_migrations WHERE version = '013';
COMMIT;
