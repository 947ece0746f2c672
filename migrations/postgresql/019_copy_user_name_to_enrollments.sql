-- 019_copy_user_name_to_enrollments.sql (PostgreSQL) — the copy of users.name on
-- enrollments of migrations/019, carried by the never-started index, kept by trigger
-- functions: a new or re-keyed enrollment copies its user's name, a renamed user rewrites
-- the copies on their enrollments.
-- Dialect: the copy is set on NEW in a BEFORE trigger, as 017 sets the course's title; the
-- index carries it with INCLUDE. PostgreSQL has no table rebuild that drops triggers.
BEGIN;

DROP INDEX idx_enrollments_not_started;
ALTER TABLE enrollments ADD COLUMN user_name TEXT;  -- copy of users.name
UPDATE enrollments AS e SET user_name = u.name FROM users u WHERE u.id = e.user_id;

CREATE INDEX idx_enrollments_not_started
    ON enrollments (enrolled_at, user_id, course_id) INCLUDE (course_title, user_name, lessons_done)
    WHERE lessons_done = 0;

CREATE FUNCTION enrollment_copies_user_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.user_name := (SELECT name FROM users WHERE id = NEW.user_id);
    RETURN NEW;
END $$;

CREATE TRIGGER enrollment_copies_user_name_insert BEFORE INSERT ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollment_copies_user_name();
CREATE TRIGGER enrollment_copies_user_name_rekey BEFORE UPDATE OF user_id ON enrollments
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION enrollment_copies_user_name();

-- The copies follow a renamed user.
CREATE FUNCTION users_name_to_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrollments SET user_name = NEW.name WHERE user_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER users_name_to_enrollments AFTER UPDATE OF name ON users
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION users_name_to_enrollments();

INSERT INTO schema_migrations (version, name) VALUES ('019', 'copy_user_name_to_enrollments');
COMMIT;
