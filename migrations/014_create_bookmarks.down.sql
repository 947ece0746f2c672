-- 014_create_bookmarks.down.sql — undoes 014: drops bookmarks (and its index with it).
BEGIN;
DROP TABLE bookmarks;
DELETE FROM schema_migrations WHERE version = '014';
COMMIT;
