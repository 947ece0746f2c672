-- 020_fold_search_words.down.sql — undoes 020, which changed nothing on SQLite.
BEGIN;
DELETE FROM schema_migrations WHERE version = '020';
COMMIT;
