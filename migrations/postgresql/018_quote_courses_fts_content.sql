-- 018_quote_courses_fts_content.sql (PostgreSQL) — nothing to change. SQLite's 018
-- declares its FTS5 index again so that tools recognise the content table; PostgreSQL's
-- search (010) is a generated column with a GIN index, with no declaration to fix. The file
-- keeps the two series numbered alike, so that 019 is 019 on both.
BEGIN;
INSERT INTO schema_migrations (version, name) VALUES ('018', 'quote_courses_fts_content');
COMMIT;
