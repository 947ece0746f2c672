-- 011_add_course_prerequisites.sql
-- Adds: course_prerequisites, a self-referencing many-to-many on courses ("course_id
--       requires prerequisite_id"), and triggers that refuse cycles and refuse an
--       enrollment whose prerequisites the user has not completed.
-- Why: the course's challenge 1. A course can require several courses and be required
--      by several: a junction table whose two foreign keys both point at courses.
-- Requires: 002 (courses), 005 (enrollments).
--
-- Why this shape:
-- * A junction table, like course_tags, not a `prerequisite_id` column on courses:
--   a column allows one prerequisite per course. The composite key forbids a pair twice.
-- * CHECK (course_id <> prerequisite_id) refuses the shortest cycle without a query.
-- * Longer cycles (A needs B needs A, at any depth) need a walk: the triggers follow
--   the prerequisites of the new prerequisite with a recursive CTE and refuse the row
--   if the walk comes back to the course. UNION (not UNION ALL) keeps each course once,
--   so the walk ends even on a graph it has never seen.
-- * "Completed" means the user's enrollment in the prerequisite has completed_at set:
--   the platform decides when a course is finished (all lessons, a final quiz...) and
--   records it there. Counting lessons in progress instead would change its answer
--   whenever a lesson is added to the prerequisite, and makes every enrollment an aggregate.
-- * Only the direct prerequisites are checked: enrolling in them required theirs.
-- * Enrollments that exist when a prerequisite is added are kept: the rule applies to
--   new enrollments, as a catalog change would on a real platform.
-- * idx_course_prerequisites_prerequisite_id indexes the second foreign key (the key's
--   first column covers course_id): "what does this course unlock?" and the cascade
--   when a course is deleted use it.
BEGIN;

CREATE TABLE course_prerequisites (
    course_id       TEXT NOT NULL,                          -- the course that requires...
    prerequisite_id TEXT NOT NULL,                          -- ...this one, completed first
    PRIMARY KEY (course_id, prerequisite_id),
    FOREIGN KEY (course_id)       REFERENCES courses(id) ON DELETE CASCADE,
    FOREIGN KEY (prerequisite_id) REFERENCES courses(id) ON DELETE CASCADE,
    CONSTRAINT no_self_prerequisite CHECK (course_id <> prerequisite_id)
);

CREATE INDEX idx_course_prerequisites_prerequisite_id
    ON course_prerequisites(prerequisite_id);

-- A cycle appears when the course is already a prerequisite (at any depth) of its new
-- prerequisite: walk down from NEW.prerequisite_id and look for NEW.course_id.
-- A course naming itself is left to the CHECK, whose error names it.
CREATE TRIGGER course_prerequisites_no_cycle_insert
BEFORE INSERT ON course_prerequisites
WHEN NEW.course_id <> NEW.prerequisite_id AND EXISTS (
    WITH RECURSIVE below(id) AS (
        SELECT NEW.prerequisite_id
        UNION
        SELECT cp.prerequisite_id
        FROM course_prerequisites cp
        JOIN below ON cp.course_id = below.id
    )
    SELECT 1 FROM below WHERE id = NEW.course_id
)
BEGIN
    SELECT RAISE(ABORT, 'prerequisite cycle: the course is already required, directly or not, by its new prerequisite');
END;

-- The same walk for an edited row, ignoring the row being replaced.
CREATE TRIGGER course_prerequisites_no_cycle_update
BEFORE UPDATE OF course_id, prerequisite_id ON course_prerequisites
WHEN NEW.course_id <> NEW.prerequisite_id AND EXISTS (
    WITH RECURSIVE below(id) AS (
        SELECT NEW.prerequisite_id
        UNION
        SELECT cp.prerequisite_id
        FROM course_prerequisites cp
        JOIN below ON cp.course_id = below.id
        WHERE NOT (cp.course_id = OLD.course_id AND cp.prerequisite_id = OLD.prerequisite_id)
    )
    SELECT 1 FROM below WHERE id = NEW.course_id
)
BEGIN
    SELECT RAISE(ABORT, 'prerequisite cycle: the course is already required, directly or not, by its new prerequisite');
END;

-- An enrollment needs a completed enrollment in every direct prerequisite.
CREATE TRIGGER enrollments_require_prerequisites_insert
BEFORE INSERT ON enrollments
WHEN EXISTS (
    SELECT 1
    FROM course_prerequisites cp
    WHERE cp.course_id = NEW.course_id
      AND NOT EXISTS (SELECT 1 FROM enrollments e
                      WHERE e.user_id = NEW.user_id
                        AND e.course_id = cp.prerequisite_id
                        AND e.completed_at IS NOT NULL)
)
BEGIN
    SELECT RAISE(ABORT, 'enrollment refused: the user has not completed every prerequisite of this course');
END;

-- Moving an enrollment to another course or user is an enrollment too.
CREATE TRIGGER enrollments_require_prerequisites_update
BEFORE UPDATE OF user_id, course_id ON enrollments
WHEN EXISTS (
    SELECT 1
    FROM course_prerequisites cp
    WHERE cp.course_id = NEW.course_id
      AND NOT EXISTS (SELECT 1 FROM enrollments e
                      WHERE e.user_id = NEW.user_id
                        AND e.course_id = cp.prerequisite_id
                        AND e.completed_at IS NOT NULL)
)
BEGIN
    SELECT RAISE(ABORT, 'enrollment refused: the user has not completed every prerequisite of this course');
END;

INSERT INTO schema_migrations (version, name) VALUES ('011', 'add_course_prerequisites');
COMMIT;
