-- 012_create_quizzes.down.sql (PostgreSQL) — undoes 012 (roll back 013 first).
BEGIN;
DROP TABLE choices;
DROP TABLE questions;
DROP TABLE quizzes;
DELETE FROM schema_migrations WHERE version = '012';
COMMIT;
