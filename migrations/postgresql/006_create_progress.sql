-- 006_create_progress.sql (PostgreSQL) — the same table(s) as migrations/006_create_progress.sql.
-- Dialect: the SQL is SQLite's but for the timestamp default (TEXT, UTC, as in 001).
BEGIN;

CREATE TABLE progress (
    user_id      TEXT NOT NULL,
    lesson_id    TEXT NOT NULL,
    completed_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
    PRIMARY KEY (user_id, lesson_id),                       -- a lesson is completed once
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (lesson_id) REFERENCES lessons(id) ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('006', 'create_progress');
COMMIT;
