-- 002_create_courses_and_sections.sql
-- Adds: courses, and sections (one course has many sections).
-- Why: a course is the unit users enroll in and review; sections group its lessons.
-- Requires: 001.
--
-- Changes from the course text, and why:
-- * `rowid INTEGER PRIMARY KEY`: the full-text index (010) points at courses by rowid.
--   A table whose key is TEXT has a hidden rowid that VACUUM and a dump/reload may
--   renumber; declaring it makes it a real column that nothing renumbers. `id` stays
--   the key every other table references (NOT NULL UNIQUE makes it a valid parent key).
-- * `rating_sum`: with it, 009 keeps avg_rating exact in O(1) per review
--   (rating_sum / review_count) instead of re-averaging every review of the course.
-- * CHECKs on difficulty and is_published: the catalog filters on them, so only
--   values the application knows may enter.
BEGIN;

CREATE TABLE courses (
    id               TEXT    NOT NULL UNIQUE,               -- a UUID: the key other tables use
    title            TEXT    NOT NULL,
    description      TEXT,
    difficulty       TEXT    NOT NULL DEFAULT 'beginner'
                     CHECK (difficulty IN ('beginner', 'intermediate', 'advanced')),
    duration         TEXT,
    is_published     INTEGER NOT NULL DEFAULT 0 CHECK (is_published IN (0, 1)),
    lesson_count     INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    avg_rating       REAL,                                  -- denormalized, kept by 009
    review_count     INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    rating_sum       INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    enrollment_count INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    created_at       TEXT    NOT NULL DEFAULT (datetime('now')),
    rowid            INTEGER PRIMARY KEY                    -- stable rowid for the FTS index
);

CREATE TABLE sections (
    id        TEXT    NOT NULL PRIMARY KEY,
    course_id TEXT    NOT NULL,
    title     TEXT    NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('002', 'create_courses_and_sections');
COMMIT;
