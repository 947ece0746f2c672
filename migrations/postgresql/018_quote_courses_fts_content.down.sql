-- 018_quote_courses_fts_content.down.sql (PostgreSQL) — undoes 018, which changed nothing.
BEGIN;
DELETE FROM schema_migrations WHERE version = '018';
COMMIT;
