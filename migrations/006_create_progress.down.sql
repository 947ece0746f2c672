-- 006_create_progress.down.sql — undoes 006: drops progress.
BEGIN;
DROP TABLE progress;
DELETE FROM schema_migrations WHERE version = '006';
COMMIT;
