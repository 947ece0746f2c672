-- 001_create_users.sql
-- Adds: users, the people who take courses.
-- Why: every other table (enrollments, progress, reviews) points at a user.
-- Requires: nothing (the runner creates schema_migrations before 001).
--
-- Change from the course text, and why: `NOT NULL` on every TEXT PRIMARY KEY (here and in
-- 002-004, 007). For historical reasons SQLite lets a non-INTEGER primary key hold NULL, and
-- NULLs are all distinct: two users with id NULL would both be accepted.
BEGIN;

CREATE TABLE users (
    id         TEXT NOT NULL PRIMARY KEY,                   -- a UUID; NOT NULL: see above
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,                        -- one account per address
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);

INSERT INTO schema_migrations (version, name) VALUES ('001', 'create_users');
COMMIT;
