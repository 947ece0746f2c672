"""The write side of the benchmark: what a trigger costs on an insert, against its alternative.

Each insert is timed alone and undone (timing.per_statement), so every one meets the database
in the same state. schema_changed() swaps a trigger or an index for the measurement and puts
it back.
"""

import re
from contextlib import contextmanager

from . import migrate, progress_counters
from .db import schema_sql, transaction
from .timing import Row, duration, per_statement, speedup

# The course text's triggers, rebuilt in a copy to be measured against ours.
COURSE_REVIEW_TRIGGER = """
CREATE TRIGGER review_stats_insert AFTER INSERT ON reviews BEGIN
    UPDATE courses SET
        review_count = review_count + 1,
        avg_rating = (SELECT AVG(rating) FROM reviews WHERE course_id = NEW.course_id)
    WHERE id = NEW.course_id;
END"""
FTS_UPDATE_ANY_COLUMN = """
CREATE TRIGGER courses_fts_update AFTER UPDATE ON courses BEGIN
    INSERT INTO courses_fts(courses_fts, rowid, title, description)
    VALUES ('delete', OLD.rowid, OLD.title, OLD.description);
    INSERT INTO courses_fts(rowid, title, description)
    VALUES (NEW.rowid, NEW.title, NEW.description);
END"""


@contextmanager
def schema_changed(conn, change, undo):
    """Apply the `change` statements (committed), then the `undo` ones on the way out.

    Committed, not rolled back: a ROLLBACK TO in a transaction that changed the schema
    makes SQLite reload the schema and re-prepare every statement, which per_statement
    would then time.
    """
    with transaction(conn):
        for sql in change:
            conn.execute(sql)
    try:
        yield conn
    finally:
        with transaction(conn):
            for sql in undo:
                conn.execute(sql)


def swapped_trigger(conn, name, sql):
    """schema_changed() that replaces trigger `name` by `sql`, and puts it back."""
    ours = schema_sql(conn, name)
    return schema_changed(conn, [f"DROP TRIGGER {name}", sql], [f"DROP TRIGGER {name}", ours])


def free_users(conn, course, count, table):
    """Up to `count` user ids with no row for `course` in `table` (reviews or enrollments)."""
    return [row[0] for row in conn.execute(
        f"SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM {table} x "
        f"WHERE x.user_id = u.id AND x.course_id = ?) ORDER BY id LIMIT ?", (course, count))]


def review_inserts(conn, course, count=300):
    """(sql, params) inserting a review of `course` by each of `count` users."""
    sql = ("INSERT INTO reviews (id, user_id, course_id, rating, body, created_at) "
           "VALUES (?, ?, ?, ?, NULL, '2026-01-01 00:00:00')")
    return [(sql, (f"bench-r-{i}", user, course, 1 + i % 5))
            for i, user in enumerate(free_users(conn, course, count, "reviews"))]


def enrollment_inserts(conn, course, count=300):
    """(sql, params) enrolling each of `count` users in `course`."""
    sql = "INSERT INTO enrollments (user_id, course_id, enrolled_at) VALUES (?, ?, '2026-01-01')"
    return [(sql, (user, course)) for user in free_users(conn, course, count, "enrollments")]


def grow_reviews(conn, course, target):
    """Give `course` `target` reviews (committed), from users who have none for it."""
    missing = target - conn.execute("SELECT review_count FROM courses WHERE id = ?",
                                    (course,)).fetchone()[0]
    if missing <= 0:
        return
    users = free_users(conn, course, missing, "reviews")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO reviews (id, user_id, course_id, rating, created_at) "
                     "VALUES (?, ?, ?, ?, '2026-01-01 00:00:00')",
                     ((f"grow-{i}", user, course, 1 + (i * 7) % 5) for i, user in enumerate(users)))
    conn.execute("COMMIT")


def trigger_rows(copy, course, big_reviews=10_000):
    """009/010 triggers against the course's AVG trigger and an FTS trigger on every column.

    `course` is the most enrolled course (bench.sample_ids): it gets `big_reviews` reviews.
    """
    users = copy.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    # Leave users free to write the measured reviews (a small dataset gets half of them).
    grow_reviews(copy, course, min(big_reviews, max(users - 300, users // 2)))
    small = copy.execute("SELECT id FROM courses WHERE review_count BETWEEN 1 AND 100 "
                         "AND id <> ? ORDER BY review_count DESC, id LIMIT 1",
                         (course,)).fetchone()[0]
    rows = []
    for target in (course, small):
        count = copy.execute("SELECT review_count FROM courses WHERE id = ?",
                             (target,)).fetchone()[0]
        inserts = review_inserts(copy, target)
        ours = per_statement(copy, inserts)
        with swapped_trigger(copy, "review_stats_insert", COURSE_REVIEW_TRIGGER):
            course_version = per_statement(copy, inserts)
        rows.append(Row(f"review insert, course with {count:,} reviews", duration(ours),
                        duration(course_version), speedup(ours, course_version),
                        "009 adds the new rating to rating_sum; the course's trigger "
                        "re-averages every review of the course"))
    inserts = enrollment_inserts(copy, course)
    ours = per_statement(copy, inserts)
    with swapped_trigger(copy, "courses_fts_update", FTS_UPDATE_ANY_COLUMN):
        any_column = per_statement(copy, inserts)
    rows.append(Row("enrollment insert (updates enrollment_count)", duration(ours),
                    duration(any_column), speedup(ours, any_column),
                    "010 re-indexes a course only `AFTER UPDATE OF title, description`; "
                    "without it every counter change rewrites the course's FTS entries"))
    return rows




def progress_inserts(conn, count=300):
    """(sql, params) completing, for `count` enrollments, a lesson of the course not yet done."""
    rows = conn.execute("""
        SELECT e.user_id, (SELECT l.id FROM sections s JOIN lessons l ON l.section_id = s.id
                           WHERE s.course_id = e.course_id AND NOT EXISTS (
                               SELECT 1 FROM progress p WHERE p.user_id = e.user_id
                               AND p.lesson_id = l.id) ORDER BY l.id LIMIT 1) AS lesson
        FROM enrollments e WHERE e.completed_at IS NULL
        ORDER BY e.user_id, e.course_id LIMIT ?""", (count * 2,)).fetchall()
    sql = ("INSERT INTO progress (user_id, lesson_id, completed_at) "
           "VALUES (?, ?, '2026-01-01 00:00:00')")
    return [(sql, (user, lesson)) for user, lesson in rows if lesson][:count]


def counter_objects(conn):
    """{name: SQL} of the triggers and index that the progress counters' migration creates."""
    migration = next(m for m in migrate.discover() if m.name == progress_counters.MIGRATION)
    names = re.findall(r"CREATE\s+(?:TRIGGER|INDEX)\s+(\w+)", migration.up.read_text(), re.I)
    return {name: schema_sql(conn, name) for name in names}


def progress_write_rows(conn, rounds=3):
    """The cost the progress counters add to a progress insert, as a ratio.

    The two variants alternate for `rounds` rounds and each keeps its best: on a busy
    machine, a slow spell then does not fall on one side only.
    """
    inserts = progress_inserts(conn)
    objects = counter_objects(conn)
    drop = [f"DROP {'INDEX' if sql.startswith('CREATE INDEX') else 'TRIGGER'} {name}"
            for name, sql in objects.items()]
    ours = without = float("inf")
    for _round in range(rounds):
        ours = min(ours, per_statement(conn, inserts))
        with schema_changed(conn, drop, list(objects.values())):
            without = min(without, per_statement(conn, inserts))
    return [Row("progress insert: with the progress counters vs without", duration(ours),
                duration(without), f"{ours / without:.1f}× the time",
                "the write cost of the dashboard's speed: the insert also updates its "
                "enrollment's lessons_done and its course's lessons_done_sum")]
