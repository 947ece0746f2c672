-- 013_create_quiz_attempts.sql
-- Adds: quiz_attempts (numbered 1, 2, 3... per user per quiz), quiz_answers (one chosen
--       choice per question per attempt), and the view attempt_scores.
-- Why: the course's challenge 2, second half: what users do with a quiz. Kept apart from
--      012 because it is activity, not content: rolling it back keeps every quiz.
-- Requires: 001 (users), 012 (quizzes, questions, choices).
--
-- Why this shape:
-- * An attempt is a row with its own key (answers point at it) and a number. The number
--   is the next one for that user and quiz: the application inserts
--   1 + MAX(attempt_no), and the trigger quiz_attempts_number refuses any other value,
--   so each new attempt gets the next number, whoever inserts it. UNIQUE (user_id,
--   quiz_id, attempt_no) stops two writers that raced to the same number.
-- * A score is never typed in: attempt_scores counts the correct answers of an attempt
--   over the questions of its quiz (a question left unanswered counts as wrong).
--   "Best score" is a query over it, not a column (see notebook 20 for why).
-- * Attempts and answers are history: they can be deleted (a user leaves, a quiz goes)
--   but not edited, so the answers behind a score cannot be rewritten. (The score still
--   follows edits to the quiz itself: notebook 20 shows it and says when to store it.)
-- * The chosen choice must belong to the answered question: the foreign key
--   (question_id, choice_id) -> choices(question_id, id) says it in one declaration.
--   Its parent key needs a unique index on those two columns, added here.
-- * The question must belong to the attempt's quiz: a trigger compares the two quiz ids
--   (a declarative version would repeat quiz_id in every answer row; see notebook 20).
-- * NOT NULL on the TEXT PRIMARY KEY, as in 001: SQLite would otherwise accept a NULL id.
BEGIN;

CREATE TABLE quiz_attempts (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    quiz_id      TEXT    NOT NULL,
    attempt_no   INTEGER NOT NULL CHECK (attempt_no >= 1),
    submitted_at TEXT    NOT NULL DEFAULT (datetime('now')),
    UNIQUE (user_id, quiz_id, attempt_no),                  -- attempt 2 exists once
    FOREIGN KEY (user_id) REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (quiz_id) REFERENCES quizzes(id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX idx_choices_question_id_id ON choices(question_id, id);

CREATE TABLE quiz_answers (
    attempt_id  TEXT NOT NULL,
    question_id TEXT NOT NULL,
    choice_id   TEXT NOT NULL,
    PRIMARY KEY (attempt_id, question_id),                  -- one answer per question
    FOREIGN KEY (attempt_id) REFERENCES quiz_attempts(id) ON DELETE CASCADE,
    FOREIGN KEY (question_id, choice_id)
        REFERENCES choices(question_id, id) ON DELETE CASCADE  -- the choice is the question's
);

-- The unique key covers user_id; these index the other foreign keys.
CREATE INDEX idx_quiz_attempts_quiz_id ON quiz_attempts(quiz_id);
CREATE INDEX idx_quiz_answers_choice   ON quiz_answers(question_id, choice_id);

CREATE TRIGGER quiz_attempts_number
BEFORE INSERT ON quiz_attempts
WHEN NEW.attempt_no IS NOT 1 + (SELECT COALESCE(MAX(attempt_no), 0) FROM quiz_attempts
                                WHERE user_id = NEW.user_id AND quiz_id = NEW.quiz_id)
BEGIN
    SELECT RAISE(ABORT, 'attempt_no must be the next number for this user and quiz (1 + the highest so far)');
END;

CREATE TRIGGER quiz_attempts_no_update
BEFORE UPDATE ON quiz_attempts
BEGIN
    SELECT RAISE(ABORT, 'a submitted attempt is not edited; submit a new attempt');
END;

CREATE TRIGGER quiz_answers_question_in_quiz
BEFORE INSERT ON quiz_answers
WHEN (SELECT quiz_id FROM questions WHERE id = NEW.question_id)
     <> (SELECT quiz_id FROM quiz_attempts WHERE id = NEW.attempt_id)
BEGIN
    SELECT RAISE(ABORT, 'answer refused: the question is not in the quiz of this attempt');
END;

CREATE TRIGGER quiz_answers_no_update
BEFORE UPDATE ON quiz_answers
BEGIN
    SELECT RAISE(ABORT, 'a submitted answer is not edited; submit a new attempt');
END;

-- One row per attempt: correct answers, questions in the quiz, score (percent) and
-- passed (1 or 0, compared in integers so 70% of 10 questions is exactly 7).
CREATE VIEW attempt_scores AS
WITH counted AS (
    SELECT a.id AS attempt_id,
           a.user_id,
           a.quiz_id,
           a.attempt_no,
           a.submitted_at,
           (SELECT COUNT(*)
            FROM quiz_answers ans
            JOIN choices c ON c.id = ans.choice_id
            WHERE ans.attempt_id = a.id AND c.is_correct = 1) AS correct,
           (SELECT COUNT(*) FROM questions q WHERE q.quiz_id = a.quiz_id) AS questions
    FROM quiz_attempts a
)
SELECT counted.*,
       ROUND(100.0 * correct / questions, 1)                  AS score,
       (questions > 0 AND 100 * correct >= z.pass_percent * questions) AS passed
FROM counted
JOIN quizzes z ON z.id = counted.quiz_id;

INSERT INTO schema_migrations (version, name) VALUES ('013', 'create_quiz_attempts');
COMMIT;
