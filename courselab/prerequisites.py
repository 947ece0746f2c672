"""Course prerequisites (migration 011): direct, transitive, and what a user may take next.

The database refuses cycles and enrollments that skip a prerequisite (see 011's
triggers); these are the questions the platform asks of that graph. A course or user id
that names no row is an error, not an empty answer: "nobody" is not eligible for every course.
"""

from .db import exists
from .errors import CourselabError

DIRECT = """
SELECT c.id, c.title
FROM course_prerequisites cp
JOIN courses c ON c.id = cp.prerequisite_id
WHERE cp.course_id = ?
ORDER BY c.id
"""

# Walk down the graph from the course. A course reached by several paths keeps its
# longest one: taking the list deepest first then never takes a course before its own
# prerequisites. UNION (not UNION ALL) keeps each (course, depth) pair once.
ALL = """
WITH RECURSIVE chain(id, depth) AS (
    SELECT prerequisite_id, 1
    FROM course_prerequisites
    WHERE course_id = ?
    UNION
    SELECT cp.prerequisite_id, chain.depth + 1
    FROM course_prerequisites cp
    JOIN chain ON cp.course_id = chain.id
)
SELECT c.id, c.title, MAX(chain.depth) AS depth
FROM chain
JOIN courses c ON c.id = chain.id
GROUP BY c.id
ORDER BY depth DESC, c.id
"""

# Direct prerequisites of a course that the user has not completed.
MISSING = """
SELECT c.id, c.title
FROM course_prerequisites cp
JOIN courses c ON c.id = cp.prerequisite_id
WHERE cp.course_id = :course
  AND NOT EXISTS (SELECT 1 FROM enrollments e
                  WHERE e.user_id = :user
                    AND e.course_id = cp.prerequisite_id
                    AND e.completed_at IS NOT NULL)
ORDER BY c.id
"""

# Published courses the user is not in and has no missing prerequisite for: a
# "for all" question, written as "there is no prerequisite that is not completed".
ELIGIBLE = """
SELECT c.id, c.title
FROM courses c
WHERE c.is_published = 1
  AND NOT EXISTS (SELECT 1 FROM enrollments e
                  WHERE e.user_id = :user AND e.course_id = c.id)
  AND NOT EXISTS (SELECT 1 FROM course_prerequisites cp
                  WHERE cp.course_id = c.id
                    AND NOT EXISTS (SELECT 1 FROM enrollments e
                                    WHERE e.user_id = :user
                                      AND e.course_id = cp.prerequisite_id
                                      AND e.completed_at IS NOT NULL))
ORDER BY c.id
"""


def _known(conn, **ids):
    """Raise CourselabError before 011, or for an id that names no course or user."""
    if not exists(conn, "course_prerequisites"):
        raise CourselabError("no table course_prerequisites yet: migrate to 011 first")
    for kind, key in ids.items():
        table = "users" if kind == "user" else "courses"
        if not isinstance(key, str) or conn.execute(
                f"SELECT 1 FROM {table} WHERE id = ?", (key,)).fetchone() is None:
            raise CourselabError(f"no {kind} {key!r}: give the id of one, as text "
                                 f"({'u-ada' if kind == 'user' else 'c-sql'})")


def direct_prerequisites(conn, course_id):
    """The courses `course_id` requires directly: rows of (id, title), by id."""
    _known(conn, course=course_id)
    return conn.execute(DIRECT, (course_id,)).fetchall()


def all_prerequisites(conn, course_id):
    """Every course `course_id` requires, directly or not: rows of (id, title, depth).

    depth 1 is a direct prerequisite, 2 a prerequisite of one, and so on (the longest
    path when there are several). Deepest first: an order in which they can be taken.
    """
    _known(conn, course=course_id)
    return conn.execute(ALL, (course_id,)).fetchall()


def missing_prerequisites(conn, user_id, course_id):
    """The direct prerequisites of `course_id` that `user_id` has not completed."""
    _known(conn, user=user_id, course=course_id)
    return conn.execute(MISSING, {"user": user_id, "course": course_id}).fetchall()


def eligible_courses(conn, user_id):
    """Published courses `user_id` could enroll in now: (id, title), by id."""
    _known(conn, user=user_id)
    return conn.execute(ELIGIBLE, {"user": user_id}).fetchall()
