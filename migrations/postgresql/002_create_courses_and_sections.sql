-- 002_create_courses_and_sections.sql (PostgreSQL) — courses and sections, as migrations/002.
-- Dialect: no `rowid` column. SQLite's FTS5 index points at a row by its integer rowid,
-- so SQLite's 002 declares one that VACUUM cannot renumber; here the search vector is a
-- column of courses itself (010), so `id` is simply the primary key.
-- `avg_rating` is DOUBLE PRECISION: PostgreSQL's REAL is 4 bytes (6 digits), SQLite's 8.
-- is_published stays INTEGER 0/1 (not BOOLEAN) so the course text's `is_published = 1`
-- queries run unchanged on both engines.
BEGIN;

CREATE TABLE courses (
    id               TEXT    NOT NULL PRIMARY KEY,
    title            TEXT    NOT NULL,
    description      TEXT,
    difficulty       TEXT    NOT NULL DEFAULT 'beginner'
                     CHECK (difficulty IN ('beginner', 'intermediate', 'advanced')),
    duration         TEXT,
    is_published     INTEGER NOT NULL DEFAULT 0 CHECK (is_published IN (0, 1)),
    lesson_count     INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    avg_rating       DOUBLE PRECISION,                      -- denormalized, kept by 009
    review_count     INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    rating_sum       INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    enrollment_count INTEGER NOT NULL DEFAULT 0,            -- denormalized, kept by 009
    created_at       TEXT    NOT NULL
                     DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
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
