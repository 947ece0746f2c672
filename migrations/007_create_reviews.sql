-- 007_create_reviews.sql
-- Adds: reviews, a user's rating (1 to 5) and text about a course.
-- Why: ratings drive the catalog; one review per user per course keeps them honest.
-- Requires: 001, 002.
--
-- Change from the course text, and why: `rating IN (1, 2, 3, 4, 5)` instead of
-- `rating >= 1 AND rating <= 5`, which lets a rating of 4.5 in.
BEGIN;

CREATE TABLE reviews (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    course_id  TEXT    NOT NULL,
    rating     INTEGER NOT NULL CHECK (rating IN (1, 2, 3, 4, 5)),
    body       TEXT,
    created_at TEXT    NOT NULL DEFAULT (datetime('now')),
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE,
    UNIQUE (user_id, course_id)                             -- one review per user per course
);

INSERT INTO schema_migrations (version, name) VALUES ('007', 'create_reviews');
COMMIT;
