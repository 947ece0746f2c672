-- 013_create_quiz_attempts.down.sql — undoes 013: drops the score view, the attempts
-- and answers (their triggers and indexes go with them) and the unique index 013 put on
-- choices. Every quiz, question and choice of 012 stays.
BEGIN;
DROP VIEW attempt_scores;
DROP TABLE quiz_answers;
DROP TABLE quiz_attempts;
DROP INDEX idx_choices_question_id_id;
DELETE FROM schema_migrations WHERE version = '013';
COMMIT;
