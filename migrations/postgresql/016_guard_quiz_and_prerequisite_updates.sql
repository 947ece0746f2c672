-- 016_guard_quiz_and_prerequisite_updates.sql (PostgreSQL) — the twin of migrations/016:
-- UPDATE refuses what INSERT refuses in 011 (prerequisites) and 013 (quizzes).
-- Dialect: PostgreSQL has no INSERT OR REPLACE. Its upsert, INSERT … ON CONFLICT DO
-- UPDATE, fires UPDATE triggers, which 013 already refuses for attempts and answers; so
-- SQLite's four *_no_replace triggers have no twin here. What remains:
-- * 011's enrollment rule, on UPDATE, counted the row being moved as the completed
--   prerequisite (a BEFORE trigger still sees the old row): the function is replaced by
--   one that leaves the moved row out.
-- * questions_answered_stay_in_quiz: an answered question may not move to another quiz
--   (every answer to it would then belong to a question outside its attempt's quiz).
-- An answered choice cannot move to another question: 013's composite foreign key has no
-- ON UPDATE action, so PostgreSQL refuses it, as SQLite does.
BEGIN;

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
                            AND e.completed_at IS NOT NULL
                            AND NOT (TG_OP = 'UPDATE' AND e.user_id = OLD.user_id
                                     AND e.course_id = OLD.course_id))
    ) THEN
        RAISE EXCEPTION 'enrollment refused: the user has not completed every prerequisite of this course';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION questions_answered_stay_in_quiz() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM quiz_answers WHERE question_id = OLD.id) THEN
        RAISE EXCEPTION 'question refused: it has answers in attempts of its quiz; add a new question to the other quiz instead';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER questions_answered_stay_in_quiz
BEFORE UPDATE OF quiz_id ON questions
FOR EACH ROW WHEN (NEW.quiz_id IS DISTINCT FROM OLD.quiz_id)
EXECUTE FUNCTION questions_answered_stay_in_quiz();

INSERT INTO schema_migrations (version, name) VALUES ('016', 'guard_quiz_and_prerequisite_updates');
COMMIT;
