"""The progress counters of migration add_progress_counters: their truth, drift and repair.

enrollments.lessons_done counts the lessons of the enrolled course that the user completed;
courses.lessons_done_sum adds them up over the course's enrollments and
courses.completed_count counts the enrollments with completed_at set; enrollments.user_name
and course_title copy users.name and courses.title. Triggers keep them exact; these
functions compare them with the base tables and recompute them set-wise (courselab check
--repair, and the bulk load, which suspends the triggers).
"""

from . import migrate

MIGRATION = "add_progress_counters"  # found by name: its number may change

# {(table, column)} that recompute() sets.
COLUMNS = {("enrollments", "lessons_done"), ("enrollments", "user_name"),
           ("enrollments", "course_title"), ("courses", "lessons_done_sum"),
           ("courses", "completed_count")}

# Lessons done per (user, course), from the base tables: one pass over progress.
DONE = """SELECT p.user_id, s.course_id, COUNT(*) AS n
    FROM progress p
    JOIN lessons l  ON l.id = p.lesson_id
    JOIN sections s ON s.id = l.section_id
    GROUP BY p.user_id, s.course_id"""

ENROLLMENT_DRIFT = f"""
SELECT e.user_id, e.course_id, e.lessons_done AS found, COALESCE(d.n, 0) AS expected
FROM enrollments e
LEFT JOIN ({DONE}) d ON d.user_id = e.user_id AND d.course_id = e.course_id
WHERE e.lessons_done IS NOT COALESCE(d.n, 0)
"""

COURSE_DRIFT = f"""
SELECT c.id,
       c.lessons_done_sum AS found_done, COALESCE(t.done, 0) AS expected_done,
       c.completed_count AS found_completed, COALESCE(t.completed, 0) AS expected_completed
FROM courses c
LEFT JOIN (SELECT e.course_id, SUM(COALESCE(d.n, 0)) AS done, COUNT(e.completed_at) AS completed
           FROM enrollments e
           LEFT JOIN ({DONE}) d ON d.user_id = e.user_id AND d.course_id = e.course_id
           GROUP BY e.course_id) t ON t.course_id = c.id
WHERE c.lessons_done_sum IS NOT COALESCE(t.done, 0)
   OR c.completed_count IS NOT COALESCE(t.completed, 0)
"""


# Enrollments whose copies differ from the user's name or the course's title.
COPY_DRIFT = """
SELECT e.user_id, e.course_id, u.name, c.title
FROM enrollments e
JOIN users u   ON u.id = e.user_id
JOIN courses c ON c.id = e.course_id
WHERE e.user_name IS NOT u.name OR e.course_title IS NOT c.title
"""


def version(directory=None):
    """The version number of the migration that adds the counters, found by its name."""
    return next(m.version for m in migrate.discover(directory) if m.name == MIGRATION)


def kept(conn):
    """True when the database has the counters (the migration is applied)."""
    return conn.execute("SELECT 1 FROM pragma_table_info('enrollments') "
                        "WHERE name = 'lessons_done'").fetchone() is not None


def drift(conn):
    """['course X, user Y: lessons_done is 3, expected 2', ...]; [] without the counters."""
    if not kept(conn):
        return []
    problems = [f"course {r['course_id']}, user {r['user_id']}: lessons_done is {r['found']}, "
                f"expected {r['expected']}"
                for r in conn.execute(ENROLLMENT_DRIFT + " ORDER BY e.course_id, e.user_id")]
    problems += [f"course {r['course_id']}, user {r['user_id']}: the copies of the user's name "
                 f"and the course's title are not {r['name']!r}, {r['title']!r}"
                 for r in conn.execute(COPY_DRIFT + " ORDER BY e.course_id, e.user_id")]
    for row in conn.execute(COURSE_DRIFT + " ORDER BY c.id"):
        for column in ("done", "completed"):
            found, expected = row[f"found_{column}"], row[f"expected_{column}"]
            if found != expected:
                name = "lessons_done_sum" if column == "done" else "completed_count"
                problems.append(f"course {row['id']}: {name} is {found}, expected {expected}")
    return problems


def recompute(conn):
    """Set every drifted counter to its truth, set-wise (inside the caller's transaction)."""
    if not kept(conn):
        return
    conn.execute(f"UPDATE enrollments AS e SET user_name = x.name, course_title = x.title "
                 f"FROM ({COPY_DRIFT}) x WHERE e.user_id = x.user_id AND e.course_id = x.course_id")
    conn.execute(f"UPDATE enrollments AS e SET lessons_done = x.expected "
                 f"FROM ({ENROLLMENT_DRIFT}) x "
                 "WHERE e.user_id = x.user_id AND e.course_id = x.course_id")
    conn.execute(f"UPDATE courses AS c SET lessons_done_sum = x.expected_done, "
                 f"completed_count = x.expected_completed FROM ({COURSE_DRIFT}) x "
                 "WHERE c.id = x.id")
