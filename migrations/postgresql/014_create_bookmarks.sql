-- 014_create_bookmarks.sql (PostgreSQL) — bookmarks, as migrations/014.
-- Dialect: the same SQL but for the timestamp default (TEXT, UTC, as in 001).
BEGIN;

CREATE TABLE bookmarks (
    user_id    TEXT NOT NULL,
    lesson_id  TEXT NOT NULL,
    note       TEXT CHECK (length(note) BETWEEN 1 AND 500),  -- NULL: no note
    created_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
    PRIMARY KEY (user_id, lesson_id),                         -- one bookmark per user per lesson
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (lesson_id) REFERENCES lessons(id) ON DELETE CASCADE
);

-- The key covers user_id; the cascade from a deleted lesson needs this one.
CREATE INDEX idx_bookmarks_lesson_id ON bookmarks(lesson_id);

INSERT INTO schema_migrations (version, name) VALUES ('014', 'create_bookmarks');
COMMIT;
