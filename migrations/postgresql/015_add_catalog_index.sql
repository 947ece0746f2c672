-- 015_add_catalog_index.sql (PostgreSQL) — the catalog index of migrations/015, same SQL.
BEGIN;

CREATE INDEX idx_courses_catalog ON courses(is_published, enrollment_count DESC, id);
DROP INDEX idx_courses_published;

INSERT INTO schema_migrations (version, name) VALUES ('015', 'add_catalog_index');
COMMIT;
