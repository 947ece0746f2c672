-- 012_create_quizzes.sql (PostgreSQL) — quizzes, questions and choices, as migrations/012.
-- Dialect: the same SQL; PostgreSQL has partial unique indexes too.
BEGIN;

CREATE TABLE quizzes (
    id           TEXT    NOT NULL PRIMARY KEY,
    lesson_id    TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    pass_percent INTEGER NOT NULL DEFAULT 70
                 CHECK (pass_percent BETWEEN 0 AND 100),    -- score needed to pass
    FOREIGN KEY (lesson_id) REFERENCES lessons(id) ON DELETE CASCADE
);

CREATE TABLE questions (
    id       TEXT    NOT NULL PRIMARY KEY,
    quiz_id  TEXT    NOT NULL,
    body     TEXT    NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (quiz_id) REFERENCES quizzes(id) ON DELETE CASCADE
);

CREATE TABLE choices (
    id          TEXT    NOT NULL PRIMARY KEY,
    question_id TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    is_correct  INTEGER NOT NULL DEFAULT 0 CHECK (is_correct IN (0, 1)),
    position    INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (question_id) REFERENCES questions(id) ON DELETE CASCADE
);

-- Foreign keys, in reading order (as 008 does for sections and lessons).
CREATE INDEX idx_quizzes_lesson_id   ON quizzes(lesson_id);
CREATE INDEX idx_questions_position  ON questions(quiz_id, position);
CREATE INDEX idx_choices_position    ON choices(question_id, position);

-- At most one correct choice per question.
CREATE UNIQUE INDEX idx_choices_one_correct ON choices(question_id) WHERE is_correct = 1;

INSERT INTO schema_migrations (version, name) VALUES ('012', 'create_quizzes');
COMMIT;
