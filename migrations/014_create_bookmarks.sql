-- 014_create_bookmarks.sql
-- Adds: bookmarks, a user's saved lessons to come back to, with when and an optional note.
-- Why: the course's challenge 4, in its own migration: a feature that can ship, or be
--      rolled back, without touching anything else.
-- Requires: 001 (users), 003 (lessons).
--
-- Why this shape:
-- * A junction of users and lessons, like progress: the composite key is the rule
--   "one bookmark per user per lesson" and the index for "my bookmarks".
-- * The extra data a user wants back: created_at (to list the newest first; filled in by
--   the database) and a note ("re-read before the exam"). A note is optional: NULL means
--   none, and CHECK refuses an empty string or an essay, so "no note" has one spelling.
-- * No enrollment is required: a user may bookmark a lesson of a course they are only
--   looking at. Both foreign keys cascade: a bookmark means nothing without its user
--   or its lesson.
BEGIN;

CREATE TABLE bookmarks (
    user_id    TEXT NOT NULL,
    lesson_id  TEXT NOT NULL,
    note       TEXT CHECK (length(note) BETWEEN 1 AND 500),  -- NULL: no note
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (user_id, lesson_id),                         -- one bookmark per user per lesson
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (lesson_id) REFERENCES lessons(id) ON DELETE CASCADE
);

-- The key covers user_id; the cascade from a deleted lesson needs this one.
CREATE INDEX idx_bookmarks_lesson_id ON bookmarks(lesson_id);

INSERT INTO schema_migrations (version, name) VALUES ('014', 'create_bookmarks');
COMMIT;
