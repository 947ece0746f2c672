-- 017_add_progress_counters.sql
-- Adds: enrollments.lessons_done (lessons of the course the user completed), and on courses
--       lessons_done_sum (its enrollments' lessons_done added up) and completed_count
--       (enrollments with completed_at set); a copy of the course's title on enrollments,
--       and a partial index of the enrollments not started; triggers that keep it exact.
-- Why: "average completion per course" and "enrolled but never started" join and count
--      every progress row of the platform on each call (seconds at 2.7 million rows). With
--      the counters, the first reads one row per course and the second reads one index.
--      An index covers only its own table's columns: the course's title is copied so the
--      report looks up only the user's name. The name is not copied: a trigger body that
--      names `users` would break SQLite's documented rebuild of users (RENAME checks every
--      trigger), and a trigger ON users would be dropped by it.
--      The lesson of 009 applied to progress: denormalize, and keep it exact with triggers.
-- Cost: a progress insert also updates its enrollment and its course (`courselab bench`
--      measures it).
-- Requires: 005, 006, 008, 009.
--
-- Cases the triggers handle, each tested in tests/test_progress_counters.py:
-- * Progress of a lesson in a course the user is not enrolled in counts for nothing.
-- * An enrollment deleted and created again counts the progress its user kept.
-- * A lesson or a section moved to another course moves its progress with it.
-- * A lesson or section deleted: its progress goes by cascade, but a cascade runs after the
--   parent row is gone, when the progress triggers can no longer find the course. BEFORE
--   DELETE triggers subtract it while the lesson and its section are still there.
BEGIN;

ALTER TABLE enrollments ADD COLUMN lessons_done    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses     ADD COLUMN lessons_done_sum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses     ADD COLUMN completed_count  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN course_title     TEXT;  -- copy of courses.title

-- Start from the truth, set-wise: one pass over progress, then one over enrollments.
UPDATE enrollments AS e SET course_title = c.title FROM courses c WHERE c.id = e.course_id;
UPDATE enrollments AS e SET lessons_done = done.n
FROM (SELECT p.user_id, s.course_id, COUNT(*) AS n
      FROM progress p
      JOIN lessons l  ON l.id = p.lesson_id
      JOIN sections s ON s.id = l.section_id
      GROUP BY p.user_id, s.course_id) AS done
WHERE e.user_id = done.user_id AND e.course_id = done.course_id;

UPDATE courses AS c SET lessons_done_sum = totals.done, completed_count = totals.completed
FROM (SELECT course_id, SUM(lessons_done) AS done, COUNT(completed_at) AS completed
      FROM enrollments GROUP BY course_id) AS totals
WHERE c.id = totals.course_id;

-- "Enrolled but never started", oldest first, read straight from this index.
CREATE INDEX idx_enrollments_not_started
    ON enrollments(enrolled_at, user_id, course_id, course_title, lessons_done)
    WHERE lessons_done = 0;

-- Progress: +1 / -1 on the enrollment of the lesson's course, if there is one.
CREATE TRIGGER lessons_done_progress_insert AFTER INSERT ON progress BEGIN
    UPDATE enrollments SET lessons_done = lessons_done + 1
    WHERE user_id = NEW.user_id
      AND course_id = (SELECT s.course_id FROM lessons l JOIN sections s ON s.id = l.section_id
                       WHERE l.id = NEW.lesson_id);
END;

CREATE TRIGGER lessons_done_progress_delete AFTER DELETE ON progress BEGIN
    UPDATE enrollments SET lessons_done = lessons_done - 1
    WHERE user_id = OLD.user_id
      AND course_id = (SELECT s.course_id FROM lessons l JOIN sections s ON s.id = l.section_id
                       WHERE l.id = OLD.lesson_id);
END;

CREATE TRIGGER lessons_done_progress_update AFTER UPDATE OF user_id, lesson_id ON progress BEGIN
    UPDATE enrollments SET lessons_done = lessons_done - 1
    WHERE user_id = OLD.user_id
      AND course_id = (SELECT s.course_id FROM lessons l JOIN sections s ON s.id = l.section_id
                       WHERE l.id = OLD.lesson_id);
    UPDATE enrollments SET lessons_done = lessons_done + 1
    WHERE user_id = NEW.user_id
      AND course_id = (SELECT s.course_id FROM lessons l JOIN sections s ON s.id = l.section_id
                       WHERE l.id = NEW.lesson_id);
END;

-- Enrollments: the course's sums follow every change of lessons_done or completed_at.
CREATE TRIGGER lessons_done_enrollment_insert AFTER INSERT ON enrollments BEGIN
    UPDATE courses SET lessons_done_sum = lessons_done_sum + NEW.lessons_done,
                       completed_count  = completed_count + (NEW.completed_at IS NOT NULL)
    WHERE id = NEW.course_id;
    -- The copies, and the progress a re-created enrollment finds its user kept.
    UPDATE enrollments SET
        course_title = (SELECT title FROM courses WHERE id = NEW.course_id),
        lessons_done = (SELECT COUNT(*) FROM progress p
                        JOIN lessons l  ON l.id = p.lesson_id
                        JOIN sections s ON s.id = l.section_id
                        WHERE p.user_id = NEW.user_id AND s.course_id = NEW.course_id)
    WHERE user_id = NEW.user_id AND course_id = NEW.course_id;
END;

CREATE TRIGGER lessons_done_enrollment_delete AFTER DELETE ON enrollments BEGIN
    UPDATE courses SET lessons_done_sum = lessons_done_sum - OLD.lessons_done,
                       completed_count  = completed_count - (OLD.completed_at IS NOT NULL)
    WHERE id = OLD.course_id;
END;

CREATE TRIGGER lessons_done_enrollment_update
AFTER UPDATE OF lessons_done, completed_at, course_id ON enrollments
WHEN OLD.course_id = NEW.course_id
 AND (OLD.lessons_done <> NEW.lessons_done
      OR (OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL)) BEGIN
    UPDATE courses SET
        lessons_done_sum = lessons_done_sum + NEW.lessons_done - OLD.lessons_done,
        completed_count  = completed_count + (NEW.completed_at IS NOT NULL)
                                           - (OLD.completed_at IS NOT NULL)
    WHERE id = NEW.course_id;
END;

CREATE TRIGGER lessons_done_enrollment_move
AFTER UPDATE OF lessons_done, completed_at, course_id ON enrollments
WHEN OLD.course_id <> NEW.course_id BEGIN
    UPDATE courses SET lessons_done_sum = lessons_done_sum - OLD.lessons_done,
                       completed_count  = completed_count - (OLD.completed_at IS NOT NULL)
    WHERE id = OLD.course_id;
    UPDATE courses SET lessons_done_sum = lessons_done_sum + NEW.lessons_done,
                       completed_count  = completed_count + (NEW.completed_at IS NOT NULL)
    WHERE id = NEW.course_id;
END;

-- An enrollment given another user or course: new copies, and that user's lessons of it.
CREATE TRIGGER lessons_done_enrollment_rekey AFTER UPDATE OF user_id, course_id ON enrollments
BEGIN
    UPDATE enrollments SET
        course_title = (SELECT title FROM courses WHERE id = NEW.course_id),
        lessons_done = (SELECT COUNT(*) FROM progress p
                        JOIN lessons l  ON l.id = p.lesson_id
                        JOIN sections s ON s.id = l.section_id
                        WHERE p.user_id = NEW.user_id AND s.course_id = NEW.course_id)
    WHERE user_id = NEW.user_id AND course_id = NEW.course_id;
END;

-- The copy follows a renamed course.
CREATE TRIGGER enrollment_copies_course_title AFTER UPDATE OF title ON courses BEGIN
    UPDATE enrollments SET course_title = NEW.title WHERE course_id = NEW.id;
END;

-- Lessons and sections deleted: subtract their progress before the cascade removes it.
CREATE TRIGGER lessons_done_lesson_delete BEFORE DELETE ON lessons BEGIN
    UPDATE enrollments SET lessons_done = lessons_done - 1
    WHERE course_id = (SELECT course_id FROM sections WHERE id = OLD.section_id)
      AND user_id IN (SELECT user_id FROM progress WHERE lesson_id = OLD.id);
END;

CREATE TRIGGER lessons_done_section_delete BEFORE DELETE ON sections BEGIN
    UPDATE enrollments SET lessons_done = lessons_done - (
        SELECT COUNT(*) FROM progress p JOIN lessons l ON l.id = p.lesson_id
        WHERE l.section_id = OLD.id AND p.user_id = enrollments.user_id)
    WHERE course_id = OLD.course_id
      AND user_id IN (SELECT p.user_id FROM progress p JOIN lessons l ON l.id = p.lesson_id
                      WHERE l.section_id = OLD.id);
END;

-- Lessons and sections moved: recount the enrollments of both courses that they touch.
CREATE TRIGGER lessons_done_lesson_update AFTER UPDATE OF id, section_id ON lessons BEGIN
    UPDATE enrollments SET lessons_done = (
        SELECT COUNT(*) FROM progress p
        JOIN lessons l  ON l.id = p.lesson_id
        JOIN sections s ON s.id = l.section_id
        WHERE p.user_id = enrollments.user_id AND s.course_id = enrollments.course_id)
    WHERE course_id IN (SELECT course_id FROM sections WHERE id IN (OLD.section_id, NEW.section_id))
      AND user_id IN (SELECT user_id FROM progress WHERE lesson_id IN (OLD.id, NEW.id));
END;

CREATE TRIGGER lessons_done_section_update AFTER UPDATE OF id, course_id ON sections BEGIN
    UPDATE enrollments SET lessons_done = (
        SELECT COUNT(*) FROM progress p
        JOIN lessons l  ON l.id = p.lesson_id
        JOIN sections s ON s.id = l.section_id
        WHERE p.user_id = enrollments.user_id AND s.course_id = enrollments.course_id)
    WHERE course_id IN (OLD.course_id, NEW.course_id)
      AND user_id IN (SELECT p.user_id FROM progress p JOIN lessons l ON l.id = p.lesson_id
                      WHERE l.section_id IN (OLD.id, NEW.id));
END;

INSERT INTO schema_migrations (version, name) VALUES ('017', 'add_progress_counters');
COMMIT;
