"""The counters on PostgreSQL: 009's, 017's and 019's, checked against their truth and recomputed.

The same counters as courselab.checks and courselab.progress_counters keep on SQLite, with
PostgreSQL's comparisons (IS DISTINCT FROM); the per-enrollment counter and copies are
checked and recomputed against one joined truth, not a subquery per enrollment.
"""

import re

from . import postgres, progress_counters
from .checks import COUNTERS, EPSILON, ROW_LABELS, Counter

# The copies per enrollment, set-wise (one pass over progress, then one over enrollments):
# the course's title, the user's name, and how many of its lessons the user completed.
ENROLLMENT_TRUTH = """SELECT e2.user_id, e2.course_id, c.title, u.name, COALESCE(d.n, 0) AS n
          FROM enrollments e2
          JOIN courses c ON c.id = e2.course_id
          JOIN users u   ON u.id = e2.user_id
          LEFT JOIN (SELECT p.user_id, s.course_id, COUNT(*) AS n
                     FROM progress p
                     JOIN lessons l  ON l.id = p.lesson_id
                     JOIN sections s ON s.id = l.section_id
                     GROUP BY p.user_id, s.course_id) d
                 ON d.user_id = e2.user_id AND d.course_id = e2.course_id"""

# The joined truths a counter can read instead of a subquery per row: x per enrollment, y
# per course (the sum of its enrollments' x.n).
TRUTH_JOINS = {
    "x": f"JOIN ({ENROLLMENT_TRUTH}) x ON x.user_id = c.user_id AND x.course_id = c.course_id",
    "y": f"""LEFT JOIN (SELECT course_id, SUM(n) AS done FROM ({ENROLLMENT_TRUTH}) t
               GROUP BY course_id) y ON y.course_id = c.id""",
}

# The versions of the progress counters' migration and of the name copy, found by their
# names as on SQLite.
PROGRESS = progress_counters.version()
NAME_COPY = progress_counters.name_copy_version()

# 009's counters and 017's (courselab.progress_counters on SQLite). Enrollments come first:
# recomputed with the triggers on (check --repair), a change of lessons_done moves its
# course's sum, which is then set to its truth after.
PG_COUNTERS = (
    Counter("enrollments", "lessons_done", "x.n", PROGRESS),
    Counter("enrollments", "course_title", "x.title", PROGRESS),
    Counter("enrollments", "user_name", "x.name", NAME_COPY),
    *COUNTERS,
    Counter("courses", "lessons_done_sum", "COALESCE(y.done, 0)", PROGRESS),
    Counter("courses", "completed_count",
            "(SELECT COUNT(e.completed_at) FROM enrollments e WHERE e.course_id = c.id)",
            PROGRESS),
)
TEXT_COPIES = {"course_title", "user_name"}  # compared as text; every other counter as a number
PG_ROW_LABELS = {**ROW_LABELS, "enrollments": "'enrollment ' || c.user_id || '/' || c.course_id"}


def kept_counters(conn):
    """The counters of PG_COUNTERS promised at this database's version."""
    top = postgres.current_version(conn)
    return [c for c in PG_COUNTERS if c.since <= top]


def counter_drift(conn):
    """['course X: enrollment_count is 7, expected 2', ...] for every counter off its truth."""
    problems = []
    counters = kept_counters(conn)
    for table in dict.fromkeys(c.table for c in counters):
        mine = [k for k in counters if k.table == table]
        select = ", ".join(f"c.{k.column}, {k.truth}" for k in mine)
        wrong = " OR ".join(f"c.{k.column}{_cast(k)} IS DISTINCT FROM ({k.truth}){_cast(k)}"
                            for k in mine)
        for row in conn.execute(f"SELECT {PG_ROW_LABELS[table]}, {select} FROM {table} c "
                                f"{_truth_joins(mine)} WHERE {wrong} ORDER BY 1"):
            for index, counter in enumerate(mine):
                found, expected = row[1 + 2 * index], row[2 + 2 * index]
                if not _same(counter, found, expected):
                    problems.append(f"{row[0]}: {counter.column} is {found}, "
                                    f"expected {expected}")
    return problems


def _truth_joins(counters):
    """The joins of TRUTH_JOINS whose alias the counters' truths read."""
    return " ".join(join for alias, join in TRUTH_JOINS.items()
                    if any(re.search(rf"\b{alias}\.", k.truth) for k in counters))


def _cast(counter):
    return "" if counter.column in TEXT_COPIES else "::float8"


def _same(counter, found, expected):
    if counter.column in TEXT_COPIES or found is None or expected is None:
        return found == expected
    return abs(float(found) - float(expected)) <= EPSILON


def _recompute_enrollments_sql(counters):
    """One UPDATE that sets each enrollment's kept counter and copies (`counters`, their truths
    read from x) where they drifted: one pass over progress, then one over enrollments."""
    sets = ", ".join(f"{k.column} = {k.truth}" for k in counters)
    drifted = " OR ".join(f"e.{k.column} IS DISTINCT FROM {k.truth}" for k in counters)
    return (f"UPDATE enrollments AS e SET {sets} FROM ({ENROLLMENT_TRUTH}) AS x "
            f"WHERE e.user_id = x.user_id AND e.course_id = x.course_id AND ({drifted})")


# 017's sums per course, once every enrollment's lessons_done is right.
RECOMPUTE_COURSE_SUMS = """UPDATE courses AS c
    SET lessons_done_sum = x.done, completed_count = x.completed
    FROM (SELECT c2.id, COALESCE(SUM(e.lessons_done), 0) AS done,
                 COUNT(e.completed_at) AS completed
          FROM courses c2 LEFT JOIN enrollments e ON e.course_id = c2.id
          GROUP BY c2.id) AS x
    WHERE c.id = x.id AND (c.lessons_done_sum <> x.done OR c.completed_count <> x.completed)"""


def copies_user_names(conn):
    """True when the name copy's migration (019) is applied."""
    return postgres.current_version(conn) >= NAME_COPY


def has_progress_counters(conn):
    """True when the progress counters' migration (017) is applied."""
    return postgres.current_version(conn) >= PROGRESS


def recompute_counters(conn):
    """Set every kept counter to its aggregate: 009's one UPDATE per table, then 017's and
    019's (the name copy set in the same pass over enrollments as 017's)."""
    kept = kept_counters(conn)
    counters = [k for k in kept if k.since not in (PROGRESS, NAME_COPY)]
    for table in dict.fromkeys(c.table for c in counters):
        assignments = ", ".join(f"{k.column} = {k.truth}" for k in counters if k.table == table)
        conn.execute(f"UPDATE {table} AS c SET {assignments}")
    per_enrollment = [k for k in kept if k.table == "enrollments"]
    if per_enrollment:  # enrollments first, then the sums of their courses
        conn.execute(_recompute_enrollments_sql(per_enrollment))
        conn.execute(RECOMPUTE_COURSE_SUMS)
