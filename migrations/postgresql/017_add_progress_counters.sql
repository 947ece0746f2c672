-- 017_add_progress_counters.sql (PostgreSQL) — the progress counters of migrations/017
-- (enrollments.lessons_done, courses.lessons_done_sum and completed_count, the copy of the
-- course's title on enrollments, the never-started index), kept by PL/pgSQL trigger
-- functions with the same invariants: progress inserted, deleted or moved, enrollments
-- deleted and re-created, lessons and sections moved or deleted, courses renamed.
-- Dialect:
-- * The copies a new or re-keyed enrollment needs are set on NEW in a BEFORE trigger, where
--   SQLite's AFTER trigger updates the row it has just written.
-- * PostgreSQL runs a cascade after the parent row is gone, as SQLite does: BEFORE DELETE
--   functions on lessons and sections subtract their progress while it can be found.
-- * The never-started index carries the title with INCLUDE (a payload, not a sort key).
BEGIN;

ALTER TABLE enrollments ADD COLUMN lessons_done     INTEGER NOT NULL DEFAULT 0;
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

CREATE INDEX idx_enrollments_not_started
    ON enrollments (enrolled_at, user_id, course_id) INCLUDE (course_title, lessons_done)
    WHERE lessons_done = 0;

-- The course of a lesson (NULL once the lesson or its section is gone).
CREATE FUNCTION course_of_lesson(lesson TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT s.course_id FROM lessons l JOIN sections s ON s.id = l.section_id WHERE l.id = lesson
$$;

-- The lessons of a course a user completed, from the base tables.
CREATE FUNCTION lessons_done_of(member TEXT, course TEXT) RETURNS INTEGER LANGUAGE sql STABLE AS $$
    SELECT COUNT(*)::int FROM progress p
    JOIN lessons l  ON l.id = p.lesson_id
    JOIN sections s ON s.id = l.section_id
    WHERE p.user_id = member AND s.course_id = course
$$;

-- Progress: -1 on the old row's enrollment, +1 on the new one's, if there is one.
CREATE FUNCTION lessons_done_progress_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE enrollments SET lessons_done = lessons_done - 1
        WHERE user_id = OLD.user_id AND course_id = course_of_lesson(OLD.lesson_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE enrollments SET lessons_done = lessons_done + 1
        WHERE user_id = NEW.user_id AND course_id = course_of_lesson(NEW.lesson_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER lessons_done_progress_insert_delete AFTER INSERT OR DELETE ON progress
    FOR EACH ROW EXECUTE FUNCTION lessons_done_progress_keep();
CREATE TRIGGER lessons_done_progress_update AFTER UPDATE OF user_id, lesson_id ON progress
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id
                       OR OLD.lesson_id IS DISTINCT FROM NEW.lesson_id)
    EXECUTE FUNCTION lessons_done_progress_keep();

-- A new or re-keyed enrollment: the course's title, and the progress its user already has.
CREATE FUNCTION enrollment_copies_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.course_title := (SELECT title FROM courses WHERE id = NEW.course_id);
    NEW.lessons_done := lessons_done_of(NEW.user_id, NEW.course_id);
    RETURN NEW;
END $$;

CREATE TRIGGER enrollment_copies_insert BEFORE INSERT ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollment_copies_fill();
CREATE TRIGGER enrollment_copies_rekey BEFORE UPDATE OF user_id, course_id ON enrollments
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id
                       OR OLD.course_id IS DISTINCT FROM NEW.course_id)
    EXECUTE FUNCTION enrollment_copies_fill();

-- Enrollments: the course's sums follow every change of lessons_done, completed_at or course.
CREATE FUNCTION lessons_done_enrollment_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE courses SET lessons_done_sum = lessons_done_sum - OLD.lessons_done,
                           completed_count  = completed_count - (OLD.completed_at IS NOT NULL)::int
        WHERE id = OLD.course_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE courses SET lessons_done_sum = lessons_done_sum + NEW.lessons_done,
                           completed_count  = completed_count + (NEW.completed_at IS NOT NULL)::int
        WHERE id = NEW.course_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER lessons_done_enrollment_insert_delete AFTER INSERT OR DELETE ON enrollments
    FOR EACH ROW EXECUTE FUNCTION lessons_done_enrollment_keep();
CREATE TRIGGER lessons_done_enrollment_update
    AFTER UPDATE OF lessons_done, completed_at, user_id, course_id ON enrollments
    FOR EACH ROW WHEN (OLD.course_id IS DISTINCT FROM NEW.course_id
                       OR OLD.lessons_done IS DISTINCT FROM NEW.lessons_done
                       OR (OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL))
    EXECUTE FUNCTION lessons_done_enrollment_keep();

-- The copy follows a renamed course.
CREATE FUNCTION enrollment_copies_course_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrollments SET course_title = NEW.title WHERE course_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER enrollment_copies_course_title AFTER UPDATE OF title ON courses
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION enrollment_copies_course_title();

-- Lessons and sections deleted: subtract their progress before the cascade removes it.
CREATE FUNCTION lessons_done_lesson_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrollments SET lessons_done = lessons_done - 1
    WHERE course_id = (SELECT course_id FROM sections WHERE id = OLD.section_id)
      AND user_id IN (SELECT user_id FROM progress WHERE lesson_id = OLD.id);
    RETURN OLD;
END $$;

CREATE TRIGGER lessons_done_lesson_delete BEFORE DELETE ON lessons
    FOR EACH ROW EXECUTE FUNCTION lessons_done_lesson_delete();

CREATE FUNCTION lessons_done_section_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrollments e SET lessons_done = e.lessons_done - done.n
    FROM (SELECT p.user_id, COUNT(*)::int AS n
          FROM progress p JOIN lessons l ON l.id = p.lesson_id
          WHERE l.section_id = OLD.id GROUP BY p.user_id) AS done
    WHERE e.course_id = OLD.course_id AND e.user_id = done.user_id;
    RETURN OLD;
END $$;

CREATE TRIGGER lessons_done_section_delete BEFORE DELETE ON sections
    FOR EACH ROW EXECUTE FUNCTION lessons_done_section_delete();

-- Lessons and sections moved: recount the enrollments of both courses that they touch.
CREATE FUNCTION lessons_done_lesson_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrollments e SET lessons_done = lessons_done_of(e.user_id, e.course_id)
    WHERE e.course_id IN (SELECT course_id FROM sections WHERE id IN (OLD.section_id, NEW.section_id))
      AND e.user_id IN (SELECT user_id FROM progress WHERE lesson_id IN (OLD.id, NEW.id));
    RETURN NULL;
END $$;

CREATE TRIGGER lessons_done_lesson_update AFTER UPDATE OF id, section_id ON lessons
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.section_id IS DISTINCT FROM NEW.section_id)
    EXECUTE FUNCTION lessons_done_lesson_move();

CREATE FUNCTION lessons_done_section_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrollments e SET lessons_done = lessons_done_of(e.user_id, e.course_id)
    WHERE e.course_id IN (OLD.course_id, NEW.course_id)
      AND e.user_id IN (SELECT p.user_id FROM progress p JOIN lessons l ON l.id = p.lesson_id
                        WHERE l.section_id IN (OLD.id, NEW.id));
    RETURN NULL;
END $$;

CREATE TRIGGER lessons_done_section_update AFTER UPDATE OF id, course_id ON sections
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.course_id IS DISTINCT FROM NEW.course_id)
    EXECUTE FUNCTION lessons_done_section_move();

INSERT INTO schema_migrations (version, name) VALUES ('017', 'add_progress_counters');
COMMIT;
