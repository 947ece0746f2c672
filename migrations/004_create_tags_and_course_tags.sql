-- 004_create_tags_and_course_tags.sql
-- Adds: tags, and course_tags, the junction table of a many-to-many (course >──< tag).
-- Why: a course covers several topics and a topic spans several courses.
-- Requires: 002.
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
