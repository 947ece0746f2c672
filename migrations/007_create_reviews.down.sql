-- 007_create_reviews.down.sql — undoes 007: drops reviews.
BEGIN;
DROP TABLE reviews;
DELETE FROM schema_migrations WHERE version = '007';
COMMIT;
