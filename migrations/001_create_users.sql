-- 001_create_users.sql
-- Adds: users, the people who take courses.
-- Why: every other table (enrollments, progress, reviews) points at a user.
-- Requires: nothing (the runner creates schema_migrations before 001).
BEGIN;

CREATE TABLE users (
    id         TEXT PRIMARY KEY,                            -- a UUID, chosen by the application
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,                        -- one account per address
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);

INSERT INTO schema_migrations (version, name) VALUES ('001', 'create_users');
COMMIT;
