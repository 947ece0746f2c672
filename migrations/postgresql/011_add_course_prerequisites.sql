-- 011_add_course_prerequisites.sql (PostgreSQL) — course_prerequisites, as migrations/011:
-- a self-referencing many-to-many that refuses cycles and refuses an enrollment whose
-- direct prerequisites the user has not completed.
-- Dialect: SQLite's `WHEN EXISTS (...) BEGIN SELECT RAISE(ABORT, ...)` becomes a PL/pgSQL
-- function that RAISEs EXCEPTION; the recursive walk is the same CTE.
-- Concurrency, which SQLite never has to face (one writer at a time): two transactions
-- adding A→B and B→A at once would each see no cycle under READ COMMITTED. The cycle
-- trigger therefore locks course_prerequisites against other writers first (SHARE ROW
-- EXCLUSIVE, which readers do not wait for): prerequisite edits are rare, cycles never.
BEGIN;

CREATE TABLE course_prerequisites (
    course_id       TEXT NOT NULL,
    prerequisite_id TEXT NOT NULL,
    PRIMARY KEY (course_id, prerequisite_id),
    FOREIGN KEY (course_id)       REFERENCES courses(id) ON DELETE CASCADE,
    FOREIGN KEY (prerequisite_id) REFERENCES courses(id) ON DELETE CASCADE,
    CONSTRAINT no_self_prerequisite CHECK (course_id <> prerequisite_id)
);

CREATE INDEX idx_course_prerequisites_prerequisite_id
    ON course_prerequisites(prerequisite_id);

CREATE FUNCTION course_prerequisites_no_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE course_prerequisites IN SHARE ROW EXCLUSIVE MODE;
    IF NEW.course_id <> NEW.prerequisite_id AND EXISTS (
        WITH RECURSIVE below(id) AS (
            SELECT NEW.prerequisite_id
            UNION
            SELECT cp.prerequisite_id
            FROM course_prerequisites cp
            JOIN below ON cp.course_id = below.id
            WHERE TG_OP = 'INSERT'
               OR NOT (cp.course_id = OLD.course_id AND cp.prerequisite_id = OLD.prerequisite_id)
        )
        SELECT 1 FROM below WHERE id = NEW.course_id
    ) THEN
        RAISE EXCEPTION 'prerequisite cycle: the course is already required, directly or not, by its new prerequisite';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER course_prerequisites_no_cycle
BEFORE INSERT OR UPDATE OF course_id, prerequisite_id ON course_prerequisites
FOR EACH ROW EXECUTE FUNCTION course_prerequisites_no_cycle();

CREATE FUNCTION enrollments_require_prerequisites() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM course_prerequisites cp
        WHERE cp.course_id = NEW.course_id
          AND NOT EXISTS (SELECT 1 FROM enrollments e
                          WHERE e.user_id = NEW.user_id
                            AND e.course_id = cp.prerequisite_id
                            AND e.completed_at IS NOT NULL)
    ) THEN
        RAISE EXCEPTION 'enrollment refused: the user has not completed every prerequisite of this course';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER enrollments_require_prerequisites
BEFORE INSERT OR UPDATE OF user_id, course_id ON enrollments
FOR EACH ROW EXECUTE FUNCTION enrollments_require_prerequisites();

INSERT INTO schema_migrations (version, name) VALUES ('011', 'add_course_prerequisites');
COMMIT;
