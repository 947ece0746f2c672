-- 012_create_quizzes.sql
-- Adds: quizzes (a lesson has any number), their questions, and each question's choices.
-- Why: the course's challenge 2, first half: the quiz as authors write it. What users do
--      with it (attempts, answers, scores) is 013: content and activity change at
--      different times, for different people, and 013 can be undone without losing a quiz.
-- Requires: 003 (lessons).
--
-- Why this shape:
-- * One-to-many three deep, like course ──< section ──< lesson: a quiz belongs to a
--   lesson, a question to a quiz, a choice to a question; each goes with its parent.
-- * Questions are single-answer multiple choice: at most one correct choice per
--   question, enforced by a partial unique index (only rows WHERE is_correct = 1 are in
--   it, so two of them for one question collide). Every question is worth one point;
--   a question type or a points column is what multiple-answer or weighted questions need.
-- * pass_percent lives on the quiz: "passed" is a property of a score against its quiz.
-- * NOT NULL on every TEXT PRIMARY KEY, as in 001: SQLite would otherwise accept NULL ids.
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
