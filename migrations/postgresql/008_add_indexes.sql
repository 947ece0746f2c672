-- 008_add_indexes.sql (PostgreSQL) — the same indexes as migrations/008 (PostgreSQL, like
-- SQLite, does not index a foreign key by itself).
BEGIN;

-- Foreign keys (not automatically indexed in SQLite)
CREATE INDEX idx_sections_course_id    ON sections(course_id);
CREATE INDEX idx_lessons_section_id    ON lessons(section_id);
CREATE INDEX idx_enrollments_course_id ON enrollments(course_id);
CREATE INDEX idx_progress_lesson_id    ON progress(lesson_id);
CREATE INDEX idx_reviews_course_id     ON reviews(course_id);
CREATE INDEX idx_reviews_user_id       ON reviews(user_id);
CREATE INDEX idx_course_tags_tag_id    ON course_tags(tag_id);  -- missing from the course text

-- Ordering (composite indexes for sorted queries)
CREATE INDEX idx_sections_position ON sections(course_id, position);
CREATE INDEX idx_lessons_position  ON lessons(section_id, position);

-- Filtering
CREATE INDEX idx_courses_published  ON courses(is_published);
CREATE INDEX idx_courses_difficulty ON courses(difficulty);

INSERT INTO schema_migrations (version, name) VALUES ('008', 'add_indexes');
COMMIT;
