-- 006_create_progress.sql
-- Adds: progress, the junction of users and the lessons they completed.
-- Why: "which lessons has this user finished?" is a many-to-many with a timestamp.
-- Requires: 001, 003.
BEGIN;

CREATE TABLE progress (
    user_id      TEXT NOT NULL,
    lesson_id    TEXT NOT NULL,
    completed_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (user_id, lesson_id),                       -- a lesson is completed once
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (lesson_id) REFERENCES lessons(id) ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('006', 'create_progress');
COMMIT;
