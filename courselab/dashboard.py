"""The admin dashboard: five questions about the platform, one function each.

Each function returns rows in a fixed order (ties broken by id), so a table or chart built
from them is the same on every run: sqlite3 rows on SQLite, dicts on PostgreSQL (a psycopg
connection), read by column name on both. The SQL is written once for both engines. Two
reports read the progress counters and copies (courselab.progress_counters) when the database
has them, and compute the same rows from the base tables before those migrations.
"""

import gc
import re

from . import migrate, pg_counters, postgres, progress_counters
from .errors import CourselabError

# The migration whose triggers keep the counters the reports read (enrollment_count,
# review_count, rating_sum, lesson_count), found by name: its number may change. The
# tables are there from create_progress on, but before this migration nothing updates the
# counters, and every course would show 0 enrollments and no reviews.
NEEDS = "add_denormalized_columns_and_triggers"

# How many reviews' worth of the platform-wide mean every course starts with. A course
# needs about this many reviews before its own ratings weigh as much as the prior.
PRIOR_WEIGHT = 5

# The counter enrollment_count (009) is exact, so popularity needs no join.
MOST_POPULAR = """
SELECT id, title, is_published, enrollment_count
FROM courses
ORDER BY enrollment_count DESC, id
LIMIT :limit
"""

# Bayesian average: (m * mean + sum of ratings) / (m + number of ratings). Every course
# starts from m imaginary reviews at the platform's mean; its own reviews pull it away
# only as they accumulate. rating_sum and review_count are the counters of 009; the mean
# is theirs too (the same AVG(rating) of all reviews, without reading the reviews).
HIGHEST_RATED = """
WITH prior AS (SELECT SUM(rating_sum) * 1.0 / SUM(review_count) AS mean FROM courses)
SELECT c.id,
       c.title,
       c.review_count,
       ROUND(CAST(c.avg_rating AS NUMERIC), 2)                            AS avg_rating,
       ROUND((:m * prior.mean + c.rating_sum) / (:m + c.review_count), 2) AS bayesian_rating
FROM courses c, prior
WHERE c.review_count > 0
ORDER BY (:m * prior.mean + c.rating_sum) / (:m + c.review_count) DESC, c.id
LIMIT :limit
"""

# Courses for which no review exists: 009's exact review_count says so without an
# anti-join probing reviews once per course.
WITHOUT_REVIEWS = """
SELECT id, title, is_published, enrollment_count
FROM courses
WHERE review_count = 0
ORDER BY enrollment_count DESC, id
"""

# Enrollments with no progress row in any lesson of the enrolled course (progress in
# another course does not count). Oldest first: the ones most worth a reminder.
# With the progress counters: the enrollments whose lessons_done is 0, read in order from
# the partial index idx_enrollments_not_started, which holds the copies of the user's name
# and the course's title too: no sort, no pass over progress, no lookup per row.
NEVER_STARTED = """
SELECT e.user_id, e.user_name AS name, e.course_id, e.course_title AS title, e.enrolled_at
FROM enrollments e
WHERE e.lessons_done = 0
ORDER BY e.enrolled_at, e.user_id, e.course_id
"""

# The same over the base tables (a database without the progress counters): `started` is built once,
# set-wise (one pass over progress), and probed per enrollment.
NEVER_STARTED_SET_WISE = """
WITH started AS (
    SELECT DISTINCT p.user_id, s.course_id
    FROM progress p
    JOIN lessons l  ON l.id = p.lesson_id
    JOIN sections s ON s.id = l.section_id
)
SELECT e.user_id, u.name, e.course_id, c.title, e.enrolled_at
FROM enrollments e
JOIN users u   ON u.id = e.user_id
JOIN courses c ON c.id = e.course_id
WHERE NOT EXISTS (SELECT 1 FROM started st
                  WHERE st.user_id = e.user_id AND st.course_id = e.course_id)
ORDER BY e.enrolled_at, e.user_id, e.course_id
"""

# Per enrollment: the share of the course's lessons the user completed; per course: the
# average of those shares, and how many enrollments are marked completed. The average is
# 100 * done / (lessons * enrollments), rounded half up to 1 decimal in integers:
# floor((2000 * done + d) / (2 * d)) / 10 with d = lessons * enrollments. A float AVG of
# per-enrollment percentages rounds some exact halves down (12.25 summed as 12.2499...).
# The same on both engines: the first division is an integer's (PostgreSQL's SUM of a
# BIGINT is a NUMERIC, hence the cast), the last a float's (`/ 10.0` would be a NUMERIC).
ROUNDED_COMPLETION = """CASE WHEN {n} > 0 AND {lessons} > 0 THEN
           CAST(CAST(2000 * {done} + {lessons} * {n} AS BIGINT) / (2 * {lessons} * {n})
                AS DOUBLE PRECISION) / 10 END"""

# With the progress counters and those of 009: one row per course, nothing joined.
COMPLETION_RATES = f"""
SELECT id,
       title,
       lesson_count,
       enrollment_count AS enrollments,
       {ROUNDED_COMPLETION.format(n="enrollment_count", lessons="lesson_count",
                                  done="lessons_done_sum")} AS avg_completion,
       completed_count  AS completed
FROM courses
ORDER BY avg_completion DESC NULLS LAST, id
"""

# The same over the base tables: every enrollment joined with its course's lessons and
# the user's progress.
COMPLETION_RATES_SET_WISE = f"""
WITH lesson_course AS (
    SELECT l.id AS lesson_id, s.course_id
    FROM lessons l
    JOIN sections s ON s.id = l.section_id
),
per_enrollment AS (
    SELECT e.user_id,
           e.course_id,
           e.completed_at,
           COUNT(p.lesson_id) AS lessons_done
    FROM enrollments e
    LEFT JOIN lesson_course lc ON lc.course_id = e.course_id
    LEFT JOIN progress p       ON p.user_id = e.user_id AND p.lesson_id = lc.lesson_id
    GROUP BY e.user_id, e.course_id
)
SELECT c.id,
       c.title,
       c.lesson_count,
       COUNT(pe.user_id)      AS enrollments,
       {ROUNDED_COMPLETION.format(n="COUNT(pe.user_id)", lessons="c.lesson_count",
                                  done="SUM(pe.lessons_done)")} AS avg_completion,
       COUNT(pe.completed_at) AS completed
FROM courses c
LEFT JOIN per_enrollment pe ON pe.course_id = c.id
GROUP BY c.id
ORDER BY avg_completion DESC NULLS LAST, c.id
"""


def _rows(conn, sql, params=None):
    """Run a report on SQLite or PostgreSQL; rows readable by column name."""
    if postgres.is_connection(conn):
        from psycopg.rows import dict_row

        with conn.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(re.sub(r":(\w+)", r"%(\1)s", sql), params).fetchall()
    return conn.execute(sql, params or {}).fetchall()


def _has_progress_counters(conn):
    if postgres.is_connection(conn):
        return pg_counters.has_progress_counters(conn)
    return progress_counters.kept(conn)


def _copies_user_names(conn):
    if postgres.is_connection(conn):
        return pg_counters.copies_user_names(conn)
    return progress_counters.copies_user_names(conn)


def needed_version(directory=None):
    """The version a database must be migrated to (at least) for the reports to be right."""
    return next(m.version for m in migrate.discover(directory) if m.name == NEEDS)


def check_version(version):
    """Raise CourselabError, saying to migrate, when `version` ('' for none) is too old."""
    needed = needed_version()
    if version < needed:
        raise CourselabError(f"dashboard needs a database migrated to {needed} or later "
                             f"(this one is at {version or 0}); run `courselab migrate` first")


def most_popular_courses(conn, limit=10):
    """Courses by enrollments, most first: (id, title, is_published, enrollment_count)."""
    return _rows(conn, MOST_POPULAR, {"limit": limit})


def highest_rated_courses(conn, limit=10, prior_weight=PRIOR_WEIGHT):
    """Reviewed courses by Bayesian average rating, best first.

    Rows have id, title, review_count, avg_rating and bayesian_rating (both rounded to
    2 places). prior_weight is m, the number of imaginary reviews at the platform's mean
    rating that every course starts with; 0 gives the plain average.
    """
    return _rows(conn, HIGHEST_RATED, {"limit": limit, "m": prior_weight})


def courses_without_reviews(conn):
    """Courses nobody has reviewed, most enrolled first.

    Rows have id, title, is_published, enrollment_count.
    """
    return _rows(conn, WITHOUT_REVIEWS)


def enrolled_never_started(conn):
    """Enrollments with no lesson of the course completed, oldest first.

    Rows have user_id, name, course_id, title, enrolled_at; a user appears once per
    course they never started.
    """
    sql = NEVER_STARTED if _copies_user_names(conn) else NEVER_STARTED_SET_WISE
    # 150,000 rows on the large dataset, and rows of values cannot form cycles. Python's
    # cycle collector would walk the growing list over and over (a fifth of the time), then
    # all of it once more in its youngest generation. So it is off while the rows are
    # fetched, and freeze() then unfreeze() move the new objects to the oldest generation
    # without a walk (a full collection still sees them); not when the caller froze objects
    # of its own, which unfreeze() would thaw.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _rows(conn, sql)
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def completion_rates(conn):
    """Every course's average completion, highest first (courses nobody took last).

    Rows have id, title, lesson_count, enrollments, avg_completion (the mean over its
    enrollments of the percent of the course's lessons done, 1 decimal; NULL with no
    enrollment or no lesson; exact, rounded half up) and completed (enrollments with
    completed_at set).
    """
    sql = COMPLETION_RATES if _has_progress_counters(conn) else COMPLETION_RATES_SET_WISE
    return _rows(conn, sql)


# The dashboard in reading order: (heading, function of a connection).
REPORTS = (
    ("Most popular courses", most_popular_courses),
    ("Highest rated courses (Bayesian average)", highest_rated_courses),
    ("Courses with no reviews", courses_without_reviews),
    ("Enrolled but never started", enrolled_never_started),
    ("Average completion per course", completion_rates),
)
