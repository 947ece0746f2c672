-- 014_create_bookmarks.down.sql (PostgreSQL) — undoes 014.
BEGIN;
DROP TABLE bookmarks;
DELETE FROM schema_migrations WHERE version = '014';
COMMIT;
