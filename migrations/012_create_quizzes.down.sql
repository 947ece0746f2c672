-- 012_create_quizzes.down.sql — undoes 012: drops choices, questions, then quizzes
-- (their indexes go with them). Roll back 013 first: its answers point at choices.
BEGIN;
DROP TABLE choices;
DROP TABLE questions;
DROP TABLE quizzes;
DELETE FROM schema_migrations WHERE version = '012';
COMMIT;
