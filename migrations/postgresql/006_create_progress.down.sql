-- 006_create_progress.down.sql (PostgreSQL) — undoes 006.
BEGIN;
DROP TABLE progress;
DELETE FROM schema_migrations WHERE version = '006';
COMMIT;
