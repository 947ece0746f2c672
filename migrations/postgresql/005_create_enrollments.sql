-- 005_create_enrollments.sql (PostgreSQL) — the same table(s) as migrations/005_create_enrollments.sql.
-- Dialect: the SQL is SQLite's but for the timestamp default (TEXT, UTC, as in 001).
BEGIN;

CREATE TABLE enrollments (
    user_id      TEXT NOT NULL,
    course_id    TEXT NOT NULL,
    enrolled_at  TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
    completed_at TEXT,
    PRIMARY KEY (user_id, course_id),                       -- one enrollment per user per course
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('005', 'create_enrollments');
COMMIT;
