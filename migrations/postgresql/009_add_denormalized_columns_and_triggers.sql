-- 009_add_denormalized_columns_and_triggers.sql (PostgreSQL) — the counters of
-- migrations/009, kept by PL/pgSQL trigger functions with the same invariants.
-- Dialect: a PostgreSQL trigger calls a function; one function per table handles INSERT,
-- UPDATE and DELETE (TG_OP says which) instead of SQLite's one trigger per event.
-- Cascades fire these row triggers too, as in SQLite. As there, a section's cascade
-- deletes its lessons after the section row is gone, so a section trigger recounts.
-- `UPDATE OF col` becomes a WHEN clause comparing OLD and NEW: the same effect, and it
-- also ignores an UPDATE that names the column but leaves it unchanged.
BEGIN;

UPDATE courses SET
    lesson_count     = (SELECT COUNT(*) FROM lessons l JOIN sections s ON s.id = l.section_id
                        WHERE s.course_id = courses.id),
    enrollment_count = (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = courses.id),
    review_count     = (SELECT COUNT(*) FROM reviews r WHERE r.course_id = courses.id),
    rating_sum       = (SELECT COALESCE(SUM(rating), 0) FROM reviews r WHERE r.course_id = courses.id),
    avg_rating       = (SELECT AVG(rating) FROM reviews r WHERE r.course_id = courses.id);

CREATE FUNCTION enrollment_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = OLD.course_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = NEW.course_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER enrollment_count_insert_delete AFTER INSERT OR DELETE ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollment_count_keep();
CREATE TRIGGER enrollment_count_update AFTER UPDATE OF course_id ON enrollments
    FOR EACH ROW WHEN (OLD.course_id IS DISTINCT FROM NEW.course_id)
    EXECUTE FUNCTION enrollment_count_keep();

-- Reviews: the sum and the count; the average is their ratio (NULL with no review).
CREATE FUNCTION review_stats_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE courses SET
            review_count = review_count - 1,
            rating_sum   = rating_sum - OLD.rating,
            avg_rating   = CASE WHEN review_count = 1 THEN NULL
                                ELSE (rating_sum - OLD.rating)::float8 / (review_count - 1) END
        WHERE id = OLD.course_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE courses SET
            review_count = review_count + 1,
            rating_sum   = rating_sum + NEW.rating,
            avg_rating   = (rating_sum + NEW.rating)::float8 / (review_count + 1)
        WHERE id = NEW.course_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER review_stats_insert_delete AFTER INSERT OR DELETE ON reviews
    FOR EACH ROW EXECUTE FUNCTION review_stats_keep();
CREATE TRIGGER review_stats_update AFTER UPDATE OF rating, course_id ON reviews
    FOR EACH ROW WHEN (OLD.rating IS DISTINCT FROM NEW.rating
                       OR OLD.course_id IS DISTINCT FROM NEW.course_id)
    EXECUTE FUNCTION review_stats_keep();

-- Lessons: +1 / -1 through the lesson's section.
CREATE FUNCTION lesson_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE courses SET lesson_count = lesson_count - 1
        WHERE id = (SELECT course_id FROM sections WHERE id = OLD.section_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE courses SET lesson_count = lesson_count + 1
        WHERE id = (SELECT course_id FROM sections WHERE id = NEW.section_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER lesson_count_insert_delete AFTER INSERT OR DELETE ON lessons
    FOR EACH ROW EXECUTE FUNCTION lesson_count_keep();
CREATE TRIGGER lesson_count_update AFTER UPDATE OF section_id ON lessons
    FOR EACH ROW WHEN (OLD.section_id IS DISTINCT FROM NEW.section_id)
    EXECUTE FUNCTION lesson_count_keep();

-- Sections: a deleted or moved section recounts the courses it left and joined.
CREATE FUNCTION lesson_count_recount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses SET lesson_count = (SELECT COUNT(*) FROM lessons l JOIN sections s
                                       ON s.id = l.section_id WHERE s.course_id = courses.id)
    WHERE id = OLD.course_id OR (TG_OP = 'UPDATE' AND id = NEW.course_id);
    RETURN NULL;
END $$;

CREATE TRIGGER lesson_count_section_delete AFTER DELETE ON sections
    FOR EACH ROW EXECUTE FUNCTION lesson_count_recount();
CREATE TRIGGER lesson_count_section_update AFTER UPDATE OF course_id ON sections
    FOR EACH ROW WHEN (OLD.course_id IS DISTINCT FROM NEW.course_id)
    EXECUTE FUNCTION lesson_count_recount();

INSERT INTO schema_migrations (version, name) VALUES ('009', 'add_denormalized_columns_and_triggers');
COMMIT;
