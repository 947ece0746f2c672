"""The progress counters of migration add_progress_counters: their truth, drift and repair.

enrollments.lessons_done counts the lessons of the enrolled course that the user completed;
courses.lessons_done_sum adds them up over the course's enrollments and
courses.completed_count counts the enrollments with completed_at set; enrollments.course_title
copies courses.title, and enrollments.user_name (migration copy_user_name_to_enrollments)
copies users.name. Triggers keep them exact; these functions compare them with the base
tables and recompute them set-wise (courselab check --repair, and the bulk load, which
suspends the triggers).
"""

from . import migrate

MIGRATION = "add_progress_counters"  # found by name: its number may change
NAME_COPY = "copy_user_name_to_enrollments"

# {(table, column)} that recompute() sets.
COLUMNS = {("enrollments", "lessons_done"), ("enrollments", "course_title"),
           ("enrollments", "user_name"), ("courses", "lessons_done_sum"),
           ("courses", "completed_count")}

# Lessons done per (user, course), from the base tables: one pass over progress.
DONE = """SELECT p.user_id, s.course_id, COUNT(*) AS n
    FROM progress p
    JOIN lessons l  ON l.id = p.lesson_id
    JOIN sections s ON s.id = l.section_id
    GROUP BY p.user_id, s.course_id"""

# Each enrollment's counter and copies, found and expected, where they differ.
ENROLLMENT_DRIFT = f"""
SELECT e.user_id, e.course_id,
       e.lessons_done AS found, COALESCE(d.n, 0) AS expected,
       e.course_title, c.title
FROM enrollments e
JOIN courses c ON c.id = e.course_id
LEFT JOIN ({DONE}) d ON d.user_id = e.user_id AND d.course_id = e.course_id
WHERE e.lessons_done IS NOT COALESCE(d.n, 0)
   OR e.course_title IS NOT c.title
"""

# Each enrollment's copy of its user's name, where it differs.
NAME_DRIFT = """
SELECT e.user_id, e.course_id, u.name
FROM enrollments e
JOIN users u ON u.id = e.user_id
WHERE e.user_name IS NOT u.name
"""

# Each course's sums against the base tables, where they differ.
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

# The same for repair, once every enrollment's lessons_done is right: a pass over enrollments
# in their own order and a sort (NOT INDEXED: reading them in course order through the index
# looks each row up by key, twice the time at the large scale).
COURSE_SUMS_DRIFT = """
SELECT c.id, COALESCE(t.done, 0) AS expected_done, COALESCE(t.completed, 0) AS expected_completed
FROM courses c
LEFT JOIN (SELECT course_id, SUM(lessons_done) AS done, COUNT(completed_at) AS completed
           FROM enrollments NOT INDEXED GROUP BY course_id) t ON t.course_id = c.id
WHERE c.lessons_done_sum IS NOT COALESCE(t.done, 0)
   OR c.completed_count IS NOT COALESCE(t.completed, 0)
"""


def version(directory=None):
    """The version number of the migration that adds the counters, found by its name."""
    return next(m.version for m in migrate.discover(directory) if m.name == MIGRATION)


def name_copy_version(directory=None):
    """The version number of the migration that copies users' names onto enrollments."""
    return next(m.version for m in migrate.discover(directory) if m.name == NAME_COPY)


def kept(conn):
    """True when the database has the counters (the migration is applied)."""
    return conn.execute("SELECT 1 FROM pragma_table_info('enrollments') "
                        "WHERE name = 'lessons_done'").fetchone() is not None


def copies_user_names(conn):
    """True when enrollments carry the copy of their user's name (its migration is applied)."""
    return conn.execute("SELECT 1 FROM pragma_table_info('enrollments') "
                        "WHERE name = 'user_name'").fetchone() is not None


def drift(conn):
    """['course X, user Y: lessons_done is 3, expected 2', ...]; [] without the counters."""
    if not kept(conn):
        return []
    problems = []
    for r in conn.execute(ENROLLMENT_DRIFT + " ORDER BY e.course_id, e.user_id"):
        where = f"course {r['course_id']}, user {r['user_id']}"
        if r["found"] != r["expected"]:
            problems.append(f"{where}: lessons_done is {r['found']}, expected {r['expected']}")
        if r["course_title"] != r["title"]:
            problems.append(f"{where}: the copy of the course's title is not {r['title']!r}")
    if copies_user_names(conn):
        for r in conn.execute(NAME_DRIFT + " ORDER BY e.course_id, e.user_id"):
            problems.append(f"course {r['course_id']}, user {r['user_id']}: "
                            f"the copy of the user's name is not {r['name']!r}")
    for row in conn.execute(COURSE_DRIFT + " ORDER BY c.id"):
        for column in ("done", "completed"):
            found, expected = row[f"found_{column}"], row[f"expected_{column}"]
            if found != expected:
                name = "lessons_done_sum" if column == "done" else "completed_count"
                problems.append(f"course {row['id']}: {name} is {found}, expected {expected}")
    return problems


def recompute(conn):
    """Set every drifted counter and copy to its truth, set-wise.

    Only rows that differ are written; the copies of an orphan enrollment are left as they
    are. Runs inside the caller's transaction. Each lesson's
    course is looked up once into a keyed temporary table, and so is each (user, course)'s
    count of lessons done: one pass over progress, then one over enrollments in their own
    order that sets the counter and both copies (an UPDATE ... FROM would look each
    enrollment up by its key).
    """
    if not kept(conn):
        return
    try:
        for sql in _TRUTH_TABLES:
            conn.execute(sql)
        truths = dict(_ENROLLMENT_TRUTHS, **(_NAME_TRUTH if copies_user_names(conn) else {}))
        sets = ", ".join(f"{column} = {truth}" for column, truth in truths.items())
        drifted = " OR ".join(f"e.{column} IS NOT {truth}" for column, truth in truths.items())
        conn.execute(f"UPDATE enrollments AS e SET {sets} WHERE {drifted}")
        conn.execute(f"UPDATE courses AS c SET lessons_done_sum = x.expected_done, "
                     f"completed_count = x.expected_completed FROM ({COURSE_SUMS_DRIFT}) x "
                     "WHERE c.id = x.id")
    finally:
        for table in ("courselab_lesson_course", "courselab_lessons_done"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


_TRUTH_TABLES = (
    """CREATE TEMP TABLE courselab_lesson_course (
        lesson_id TEXT PRIMARY KEY, course_id TEXT NOT NULL) WITHOUT ROWID""",
    """INSERT INTO temp.courselab_lesson_course
        SELECT l.id, s.course_id FROM lessons l JOIN sections s ON s.id = l.section_id""",
    """CREATE TEMP TABLE courselab_lessons_done (
        user_id TEXT, course_id TEXT, n INTEGER NOT NULL,
        PRIMARY KEY (user_id, course_id)) WITHOUT ROWID""",
    """INSERT INTO temp.courselab_lessons_done
        SELECT p.user_id, lc.course_id, COUNT(*)
        FROM progress p JOIN temp.courselab_lesson_course lc ON lc.lesson_id = p.lesson_id
        GROUP BY p.user_id, lc.course_id""",
)
# Each enrollment's counter and copies as the base tables say: {column: expression of e}.
# The copy of an orphan (its course or user deleted while foreign keys were off) is kept: it
# is the last record of that title or name, and the orphan's advice needs it (title and name
# are NOT NULL, so NULL here means no parent row).
_ENROLLMENT_TRUTHS = {
    "lessons_done": """COALESCE((SELECT d.n FROM temp.courselab_lessons_done d
                   WHERE d.user_id = e.user_id AND d.course_id = e.course_id), 0)""",
    "course_title": "COALESCE((SELECT title FROM courses WHERE id = e.course_id), e.course_title)",
}
_NAME_TRUTH = {"user_name": "COALESCE((SELECT name FROM users WHERE id = e.user_id), e.user_name)"}
