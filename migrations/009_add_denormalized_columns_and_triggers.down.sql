-- 009_add_denormalized_columns_and_triggers.down.sql — undoes 009: drops its triggers.
-- The counter columns belong to 002 and stay, frozen at their last values.
BEGIN;
DROP TRIGGER enrollment_count_insert;
DROP TRIGGER enrollment_count_delete;
DROP TRIGGER enrollment_count_update;
DROP TRIGGER review_stats_insert;
DROP TRIGGER review_stats_delete;
DROP TRIGGER review_stats_update;
DROP TRIGGER lesson_count_insert;
DROP TRIGGER lesson_count_delete;
DROP TRIGGER lesson_count_update;
DROP TRIGGER lesson_count_section_delete;
DROP TRIGGER lesson_count_section_update;
DELETE FROM schema_migrations WHERE version = '009';
COMMIT;
