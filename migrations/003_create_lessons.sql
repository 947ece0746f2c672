-- 003_create_lessons.sql
-- Adds: lessons, the pages of a course (one section has many lessons).
-- Why: completes the chain course ──< section ──< lesson; `position` orders them.
-- Requires: 002.
BEGIN;

CREATE TABLE lessons (
    id          TEXT    NOT NULL PRIMARY KEY,
    section_id  TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    description TEXT,
    position    INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (section_id) REFERENCES sections(id) ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('003', 'create_lessons');
COMMIT;
