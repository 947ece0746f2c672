-- 007_create_reviews.down.sql (PostgreSQL) — undoes 007.
BEGIN;
DROP TABLE reviews;
DELETE FROM schema_migrations WHERE version = '007';
COMMIT;
