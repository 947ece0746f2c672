"""Query plans: fresh after the schema changes, and drawn as the tree SQLite plans."""

from courselab.queries import plan_lines

REVIEWS_OF_COURSE = "SELECT id FROM reviews WHERE course_id = ?"


def test_a_plan_is_planned_afresh_after_its_index_is_dropped(db):
    assert plan_lines(db, REVIEWS_OF_COURSE, ("c-sql",)) == [
        "SEARCH reviews USING INDEX idx_reviews_course_id (course_id=?)"]
    db.execute("DROP INDEX idx_reviews_course_id")
    assert plan_lines(db, REVIEWS_OF_COURSE, ("c-sql",)) == ["SCAN reviews"]


def test_a_subquery_is_indented_under_its_parent_unless_asked_not_to(db):
    sql = "SELECT title FROM courses WHERE id IN (SELECT course_id FROM reviews WHERE rating = 5)"
    tree = ["SEARCH courses USING INDEX sqlite_autoindex_courses_1 (id=?)", "LIST SUBQUERY 1",
            "  SCAN reviews"]
    assert plan_lines(db, sql) == tree
    assert plan_lines(db, sql, indent=False) == [line.strip() for line in tree]
