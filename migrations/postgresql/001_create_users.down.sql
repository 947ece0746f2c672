-- 001_create_users.down.sql (PostgreSQL) — undoes 001: drops users (and every row in it).
BEGIN;
DROP TABLE users;
DELETE FROM schema_migrations WHERE version = '001';
COMMIT;
