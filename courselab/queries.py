"""The application's queries, as the course text writes them (step 7), and their plans."""

import itertools

_PLAN_CALLS = itertools.count()

CATALOG = """
SELECT id, title, description, difficulty, duration,
       lesson_count, avg_rating, review_count, enrollment_count
FROM courses
WHERE is_published = 1
ORDER BY enrollment_count DESC
"""

COURSE_DETAIL = """
SELECT s.title AS section_title, l.title AS lesson_title, l.id AS lesson_id
FROM sections s
JOIN lessons l ON l.section_id = s.id
WHERE s.course_id = ?
ORDER BY s.position, l.position
"""

USER_PROGRESS = """
WITH course_progress AS (
    SELECT
        e.course_id,
        COUNT(p.lesson_id) AS completed_lessons
    FROM enrollments e
    LEFT JOIN progress p ON p.user_id = e.user_id
        AND p.lesson_id IN (
            SELECT l.id FROM lessons l
            JOIN sections s ON l.section_id = s.id
            WHERE s.course_id = e.course_id
        )
    WHERE e.user_id = ?
    GROUP BY e.course_id
)
SELECT c.title, c.lesson_count, cp.completed_lessons,
       ROUND(100.0 * cp.completed_lessons / c.lesson_count) AS percent_complete
FROM course_progress cp
JOIN courses c ON c.id = cp.course_id
"""


def catalog(conn):
    """Published courses with their counters, most enrolled first."""
    return conn.execute(CATALOG).fetchall()


def course_detail(conn, course_id):
    """A course's sections and lessons in reading order."""
    return conn.execute(COURSE_DETAIL, (course_id,)).fetchall()


def user_progress(conn, user_id):
    """Each course the user is enrolled in with lessons completed and percent complete."""
    return conn.execute(USER_PROGRESS, (user_id,)).fetchall()


def plan_lines(conn, sql, params=(), indent=True):
    """The EXPLAIN QUERY PLAN lines of `sql`, always planned afresh.

    With `indent`, each line is indented two spaces per level of the plan's tree (a
    subquery under its parent); without, the bare detail lines.
    """
    # sqlite3 caches prepared statements by their text, and a cached EXPLAIN is not
    # re-planned after a DROP INDEX: a comment unique to this call forces a fresh plan.
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}\n-- plan {next(_PLAN_CALLS)}", params)
    depth = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] * indent + detail)
    return lines
