-- 005_create_enrollments.sql
-- Adds: enrollments, the junction of users and courses, carrying when it happened.
-- Why: a user takes many courses and a course has many users (many-to-many with extra data).
-- Requires: 001, 002.
BEGIN;

CREATE TABLE enrollments (
    user_id      TEXT NOT NULL,
    course_id    TEXT NOT NULL,
    enrolled_at  TEXT NOT NULL DEFAULT (datetime('now')),
    completed_at TEXT,
    PRIMARY KEY (user_id, course_id),                       -- one enrollment per user per course
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('005', 'create_enrollments');
COMMIT;
