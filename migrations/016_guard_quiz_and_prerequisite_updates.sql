-- 016_guard_quiz_and_prerequisite_updates.sql
-- Adds: triggers that make UPDATE and INSERT OR REPLACE refuse what INSERT refuses in
--       011 (prerequisites) and 013 (quiz attempts and answers).
-- Why: 011 and 013 guard the INSERT path; a row can also change by UPDATE, and
--      INSERT OR REPLACE deletes the row it conflicts with and inserts a new one, so a
--      rule written for INSERT alone can be walked around. 011 and 013 are applied
--      migrations, so the missing siblings come here.
-- Requires: 011 (course_prerequisites, enrollments triggers), 013 (quiz_attempts, quiz_answers).
--
-- What each trigger closes:
-- * enrollments_require_prerequisites_move: 011's update trigger counts the row being
--   moved as the completed prerequisite, so `UPDATE enrollments SET course_id = 'adv'`
--   on a completed 'intro' enrollment is accepted and 'intro' is gone. The same walk,
--   without the row being moved.
-- * quiz_attempts_no_replace / quiz_answers_no_replace: REPLACE deletes the submitted
--   row and inserts another under the same key: an edit that 013's UPDATE triggers never
--   see. A row with that key already there is refused (a plain INSERT of a duplicate
--   is refused too, with this message instead of the UNIQUE one).
-- * questions_answered_stay_in_quiz: an answer's question must be in its attempt's quiz
--   (013 checks it on INSERT); moving an answered question to another quiz breaks it for
--   every answer at once (scores above 100%). Move or copy it only before anyone answers.
-- * questions_answered_no_replace / choices_answered_no_replace: REPLACE of an answered
--   question or choice deletes the answers behind a score by cascade; refused. Deleting
--   a question or a choice stays possible, and says what it does.
-- Already refused, and tested: UPDATE of quiz_answers and quiz_attempts (013), an
--   answered choice moved to another question (the composite foreign key of 013), a
--   prerequisite cycle or self-requirement by UPDATE (011's trigger and CHECK).
BEGIN;

CREATE TRIGGER enrollments_require_prerequisites_move
BEFORE UPDATE OF user_id, course_id ON enrollments
WHEN EXISTS (
    SELECT 1
    FROM course_prerequisites cp
    WHERE cp.course_id = NEW.course_id
      AND NOT EXISTS (SELECT 1 FROM enrollments e
                      WHERE e.user_id = NEW.user_id
                        AND e.course_id = cp.prerequisite_id
                        AND e.completed_at IS NOT NULL
                        AND NOT (e.user_id = OLD.user_id AND e.course_id = OLD.course_id))
)
BEGIN
    SELECT RAISE(ABORT, 'enrollment refused: the user has not completed every prerequisite of this course (the enrollment being moved does not count)');
END;

CREATE TRIGGER quiz_attempts_no_replace
BEFORE INSERT ON quiz_attempts
WHEN EXISTS (SELECT 1 FROM quiz_attempts WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'a submitted attempt is not replaced; submit a new attempt');
END;

CREATE TRIGGER quiz_answers_no_replace
BEFORE INSERT ON quiz_answers
WHEN EXISTS (SELECT 1 FROM quiz_answers
             WHERE attempt_id = NEW.attempt_id AND question_id = NEW.question_id)
BEGIN
    SELECT RAISE(ABORT, 'a submitted answer is not replaced; submit a new attempt');
END;

CREATE TRIGGER questions_answered_stay_in_quiz
BEFORE UPDATE OF quiz_id ON questions
WHEN NEW.quiz_id IS NOT OLD.quiz_id
     AND EXISTS (SELECT 1 FROM quiz_answers WHERE question_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'question refused: it has answers in attempts of its quiz; add a new question to the other quiz instead');
END;

CREATE TRIGGER questions_answered_no_replace
BEFORE INSERT ON questions
WHEN EXISTS (SELECT 1 FROM quiz_answers WHERE question_id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'question refused: REPLACE would delete the answers behind submitted scores');
END;

CREATE TRIGGER choices_answered_no_replace
BEFORE INSERT ON choices
WHEN EXISTS (SELECT 1 FROM choices c
             JOIN quiz_answers a ON a.question_id = c.question_id AND a.choice_id = c.id
             WHERE c.id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'choice refused: REPLACE would delete the answers behind submitted scores');
END;

INSERT INTO schema_migrations (version, name) VALUES ('016', 'guard_quiz_and_prerequisite_updates');
COMMIT;
