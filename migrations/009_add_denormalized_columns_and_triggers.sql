-- 009_add_denormalized_columns_and_triggers.sql
-- Adds: triggers that keep the counters on courses (lesson_count, enrollment_count,
--       review_count, rating_sum, avg_rating) equal to what they summarize.
-- Why: the catalog reads them with a plain SELECT instead of joins and aggregates.
-- Requires: 002-007 (the counters live on courses since 002).
--
-- Fixes to the course text, and why:
-- * It never maintained lesson_count: lesson and section triggers below do, including
--   lessons deleted by a cascade (when a section or a course goes).
-- * It only handled review INSERT and DELETE: editing a rating left avg_rating stale.
--   An UPDATE trigger removes the old rating and adds the new one.
-- * Its avg_rating re-ran AVG over all the course's reviews on every insert, a cost that
--   grows with the course; rating_sum / review_count is exact and costs the same always.
-- * It forgot rows that already exist: the counters are first computed from the data.
-- Counters on a course being deleted are not touched: its row is already gone.
BEGIN;

-- Start from the truth: a database may already hold rows when this runs.
UPDATE courses SET
    lesson_count     = (SELECT COUNT(*) FROM lessons l JOIN sections s ON s.id = l.section_id
                        WHERE s.course_id = courses.id),
    enrollment_count = (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = courses.id),
    review_count     = (SELECT COUNT(*) FROM reviews r WHERE r.course_id = courses.id),
    rating_sum       = (SELECT COALESCE(SUM(rating), 0) FROM reviews r WHERE r.course_id = courses.id),
    avg_rating       = (SELECT AVG(rating) FROM reviews r WHERE r.course_id = courses.id);

-- Enrollments: +1 / -1 (a user's deletion cascades here and fires the delete trigger).
CREATE TRIGGER enrollment_count_insert AFTER INSERT ON enrollments BEGIN
    UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = NEW.course_id;
END;

CREATE TRIGGER enrollment_count_delete AFTER DELETE ON enrollments BEGIN
    UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = OLD.course_id;
END;

CREATE TRIGGER enrollment_count_update AFTER UPDATE OF course_id ON enrollments BEGIN
    UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = OLD.course_id;
    UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = NEW.course_id;
END;

-- Reviews: keep the sum and the count; the average is their ratio (NULL with no review).
CREATE TRIGGER review_stats_insert AFTER INSERT ON reviews BEGIN
    UPDATE courses SET
        review_count = review_count + 1,
        rating_sum   = rating_sum + NEW.rating,
        avg_rating   = (rating_sum + NEW.rating) * 1.0 / (review_count + 1)
    WHERE id = NEW.course_id;
END;

CREATE TRIGGER review_stats_delete AFTER DELETE ON reviews BEGIN
    UPDATE courses SET
        review_count = review_count - 1,
        rating_sum   = rating_sum - OLD.rating,
        avg_rating   = CASE WHEN review_count = 1 THEN NULL
                            ELSE (rating_sum - OLD.rating) * 1.0 / (review_count - 1) END
    WHERE id = OLD.course_id;
END;

CREATE TRIGGER review_stats_update AFTER UPDATE OF rating, course_id ON reviews BEGIN
    UPDATE courses SET
        review_count = review_count - 1,
        rating_sum   = rating_sum - OLD.rating,
        avg_rating   = CASE WHEN review_count = 1 THEN NULL
                            ELSE (rating_sum - OLD.rating) * 1.0 / (review_count - 1) END
    WHERE id = OLD.course_id;
    UPDATE courses SET
        review_count = review_count + 1,
        rating_sum   = rating_sum + NEW.rating,
        avg_rating   = (rating_sum + NEW.rating) * 1.0 / (review_count + 1)
    WHERE id = NEW.course_id;
END;

-- Lessons: +1 / -1 through the lesson's section.
CREATE TRIGGER lesson_count_insert AFTER INSERT ON lessons BEGIN
    UPDATE courses SET lesson_count = lesson_count + 1
    WHERE id = (SELECT course_id FROM sections WHERE id = NEW.section_id);
END;

CREATE TRIGGER lesson_count_delete AFTER DELETE ON lessons BEGIN
    UPDATE courses SET lesson_count = lesson_count - 1
    WHERE id = (SELECT course_id FROM sections WHERE id = OLD.section_id);
END;

CREATE TRIGGER lesson_count_update AFTER UPDATE OF section_id ON lessons BEGIN
    UPDATE courses SET lesson_count = lesson_count - 1
    WHERE id = (SELECT course_id FROM sections WHERE id = OLD.section_id);
    UPDATE courses SET lesson_count = lesson_count + 1
    WHERE id = (SELECT course_id FROM sections WHERE id = NEW.section_id);
END;

-- Sections: when a section goes, its lessons go by cascade, but by then the section row
-- is already deleted, so lesson_count_delete cannot find the course. This trigger runs
-- after the cascade and recounts the course's lessons instead.
CREATE TRIGGER lesson_count_section_delete AFTER DELETE ON sections BEGIN
    UPDATE courses SET lesson_count = (SELECT COUNT(*) FROM lessons l JOIN sections s
                                       ON s.id = l.section_id WHERE s.course_id = courses.id)
    WHERE id = OLD.course_id;
END;

CREATE TRIGGER lesson_count_section_update AFTER UPDATE OF course_id ON sections BEGIN
    UPDATE courses SET lesson_count = (SELECT COUNT(*) FROM lessons l JOIN sections s
                                       ON s.id = l.section_id WHERE s.course_id = courses.id)
    WHERE id IN (OLD.course_id, NEW.course_id);
END;

INSERT INTO schema_migrations (version, name) VALUES ('009', 'add_denormalized_columns_and_triggers');
COMMIT;
