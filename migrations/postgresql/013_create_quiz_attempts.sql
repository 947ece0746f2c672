-- 013_create_quiz_attempts.sql (PostgreSQL) — attempts, answers and the score view, as
-- migrations/013: attempts numbered per user per quiz, history never edited, the chosen
-- choice belongs to the answered question, the question to the attempt's quiz.
-- Dialect: the triggers are PL/pgSQL functions; `IS NOT` becomes IS DISTINCT FROM.
-- The view divides with NULLIF (PostgreSQL raises on division by zero where SQLite
-- returns NULL) and turns `passed` into 0/1 (a comparison is BOOLEAN here, an integer in
-- SQLite), so both engines return the same rows.
BEGIN;

CREATE TABLE quiz_attempts (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    quiz_id      TEXT    NOT NULL,
    attempt_no   INTEGER NOT NULL CHECK (attempt_no >= 1),
    submitted_at TEXT    NOT NULL
                 DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
    UNIQUE (user_id, quiz_id, attempt_no),
    FOREIGN KEY (user_id) REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (quiz_id) REFERENCES quizzes(id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX idx_choices_question_id_id ON choices(question_id, id);

CREATE TABLE quiz_answers (
    attempt_id  TEXT NOT NULL,
    question_id TEXT NOT NULL,
    choice_id   TEXT NOT NULL,
    PRIMARY KEY (attempt_id, question_id),
    FOREIGN KEY (attempt_id) REFERENCES quiz_attempts(id) ON DELETE CASCADE,
    FOREIGN KEY (question_id, choice_id)
        REFERENCES choices(question_id, id) ON DELETE CASCADE
);

CREATE INDEX idx_quiz_attempts_quiz_id ON quiz_attempts(quiz_id);
CREATE INDEX idx_quiz_answers_choice   ON quiz_answers(question_id, choice_id);

CREATE FUNCTION quiz_attempts_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.attempt_no IS DISTINCT FROM 1 + (SELECT COALESCE(MAX(attempt_no), 0)
                                            FROM quiz_attempts
                                            WHERE user_id = NEW.user_id AND quiz_id = NEW.quiz_id)
    THEN
        RAISE EXCEPTION 'attempt_no must be the next number for this user and quiz (1 + the highest so far)';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER quiz_attempts_number BEFORE INSERT ON quiz_attempts
FOR EACH ROW EXECUTE FUNCTION quiz_attempts_number();

CREATE FUNCTION refuse_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a submitted % is not edited; submit a new attempt', TG_ARGV[0];
END $$;

CREATE TRIGGER quiz_attempts_no_update BEFORE UPDATE ON quiz_attempts
FOR EACH ROW EXECUTE FUNCTION refuse_edit('attempt');
CREATE TRIGGER quiz_answers_no_update BEFORE UPDATE ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION refuse_edit('answer');

CREATE FUNCTION quiz_answers_question_in_quiz() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT quiz_id FROM questions WHERE id = NEW.question_id)
       <> (SELECT quiz_id FROM quiz_attempts WHERE id = NEW.attempt_id) THEN
        RAISE EXCEPTION 'answer refused: the question is not in the quiz of this attempt';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER quiz_answers_question_in_quiz BEFORE INSERT ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION quiz_answers_question_in_quiz();

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
       ROUND(100.0 * correct / NULLIF(questions, 0), 1)       AS score,
       CASE WHEN questions > 0 AND 100 * correct >= z.pass_percent * questions
            THEN 1 ELSE 0 END                                  AS passed
FROM counted
JOIN quizzes z ON z.id = counted.quiz_id;

INSERT INTO schema_migrations (version, name) VALUES ('013', 'create_quiz_attempts');
COMMIT;
