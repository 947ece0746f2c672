-- 004_create_tags_and_course_tags.sql (PostgreSQL) — the same table(s) as migrations/004_create_tags_and_course_tags.sql.
-- Dialect: the SQL is the same on both engines.
BEGIN;

CREATE TABLE tags (
    id   TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE course_tags (
    course_id TEXT NOT NULL,
    tag_id    TEXT NOT NULL,
    PRIMARY KEY (course_id, tag_id),                        -- a tag once per course
    FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE,
    FOREIGN KEY (tag_id)    REFERENCES tags(id)    ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('004', 'create_tags_and_course_tags');
COMMIT;
