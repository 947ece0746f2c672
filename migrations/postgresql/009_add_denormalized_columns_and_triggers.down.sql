-- 009_add_denormalized_columns_and_triggers.down.sql (PostgreSQL) — undoes 009: drops its
-- trigger functions (CASCADE drops the triggers that call them). The counter columns
-- belong to 002 and stay, frozen at their last values.
BEGIN;
DROP FUNCTION enrollment_count_keep() CASCADE;
DROP FUNCTION review_stats_keep() CASCADE;
DROP FUNCTION lesson_count_keep() CASCADE;
DROP FUNCTION lesson_count_recount() CASCADE;
DELETE FROM schema_migrations WHERE version = '009';
COMMIT;
