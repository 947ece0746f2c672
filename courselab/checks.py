"""Invariants the schema promises, checked on a live database, and their repair."""

import sqlite3
from dataclasses import dataclass

from . import migrate, progress_counters
from .db import transaction
from .errors import MigrationError
from .search import to_match_query

EPSILON = 1e-9

# The triggers of 009 that maintain the counters (below 009 the counters are not promised).
COUNTER_TRIGGERS = ("lesson_count_insert", "enrollment_count_insert", "review_stats_insert")

# Each counter on courses and the aggregate it must equal.
COUNTER_TRUTH = {
    "lesson_count": "(SELECT COUNT(*) FROM lessons l JOIN sections s ON s.id = l.section_id "
                    "WHERE s.course_id = c.id)",
    "enrollment_count": "(SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id)",
    "review_count": "(SELECT COUNT(*) FROM reviews r WHERE r.course_id = c.id)",
    "rating_sum": "(SELECT COALESCE(SUM(rating), 0) FROM reviews r WHERE r.course_id = c.id)",
    "avg_rating": "(SELECT AVG(rating) FROM reviews r WHERE r.course_id = c.id)",
}


@dataclass
class Result:
    """One invariant: its name, whether it holds, and the problems found."""

    name: str
    problems: list

    @property
    def ok(self):
        return not self.problems


def _has(conn, name):
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row is not None


def _counters_kept(conn):
    """True once 009's triggers keep the counters; before it they are not maintained."""
    return any(_has(conn, trigger) for trigger in COUNTER_TRIGGERS)


def counter_drift(conn):
    """['course X: enrollment_count is 7, expected 2', ...] for every counter off its aggregate."""
    if not _counters_kept(conn):
        return []
    select = ", ".join(f"c.{col}, {truth}" for col, truth in COUNTER_TRUTH.items())
    problems = []
    for row in conn.execute(f"SELECT c.id, {select} FROM courses c ORDER BY c.id"):
        for index, column in enumerate(COUNTER_TRUTH):
            found, expected = row[1 + 2 * index], row[2 + 2 * index]
            if not _same(found, expected):
                problems.append(f"course {row[0]}: {column} is {found}, expected {expected}")
    return problems + progress_counters.drift(conn)  # the progress counters, once added


def _same(found, expected):
    if found is None or expected is None:
        return found is None and expected is None
    return abs(found - expected) <= EPSILON


def fts_problems(conn, sample=20):
    """Problems of courses_fts: integrity-check against courses, and sample searches."""
    if not _has(conn, "courses_fts"):
        return []
    error = _fts_integrity_error(conn)
    if error:
        return [f"courses_fts does not match courses ({error}); run check --repair to rebuild it"]
    problems = []
    rows = conn.execute("SELECT id, title, rowid FROM courses WHERE is_published = 1 "
                        "ORDER BY id LIMIT ?", (sample,))
    for course_id, title, rowid in rows.fetchall():
        query = to_match_query(title)
        # Asked for this course's rowid: a title shared by many courses cannot push it out.
        if query and not conn.execute("SELECT 1 FROM courses_fts WHERE courses_fts MATCH ? "
                                      "AND rowid = ?", (query, rowid)).fetchone():
            problems.append(f"course {course_id}: search for its title {title!r} does not find it")
    return problems


def _fts_integrity_error(conn):
    """FTS5's integrity-check message, or None; a read-only file is checked in a memory copy."""
    try:
        _fts_integrity_check(conn)
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorname != "SQLITE_READONLY":
            return str(exc)
        # integrity-check is written as an INSERT, which a read-only file refuses.
        copy = sqlite3.connect(":memory:")
        try:
            conn.backup(copy)
            _fts_integrity_check(copy)
        except sqlite3.DatabaseError as copy_exc:
            return str(copy_exc)
        finally:
            copy.close()
    return None


def _fts_integrity_check(conn):
    conn.execute("SAVEPOINT fts_check")
    try:
        conn.execute("INSERT INTO courses_fts(courses_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.execute("ROLLBACK TO fts_check")
        conn.execute("RELEASE fts_check")


def foreign_key_problems(conn):
    """Rows whose foreign key points at nothing (PRAGMA foreign_key_check)."""
    return [f"{row[0]} rowid {row[1]}: no row in {row[2]}"
            for row in conn.execute("PRAGMA foreign_key_check")]


def integrity_problems(conn):
    """What PRAGMA integrity_check reports, if anything but 'ok'."""
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def migration_problems(conn, directory=None):
    """Applied migrations that differ from their files, and versions missing below the top."""
    try:
        migrations = migrate.discover(directory)
        migrate.verify(conn, migrations)
    except MigrationError as exc:
        return [str(exc)]
    recorded = migrate.applied(conn)
    top = max(recorded, default="")
    return [f"version {m.version} ({m.name}) is not applied but {top} is"
            for m in migrations if m.version < top and m.version not in recorded]


def run_checks(conn, directory=None):
    """Every invariant, as a list of Result."""
    return [
        _result("counters equal their aggregates", counter_drift, conn),
        _result("search index matches courses", fts_problems, conn),
        _result("foreign keys point at rows", foreign_key_problems, conn),
        _result("database file is intact", integrity_problems, conn),
        _result("applied migrations match their files", migration_problems, conn, directory),
    ]


def _result(name, check, *args):
    """Run one check; a damaged file that makes it fail is a problem to report, not a crash."""
    try:
        return Result(name, check(*args))
    except sqlite3.DatabaseError as exc:
        return Result(name, [f"could not be checked: {exc}"])


def recompute_counters(conn):
    """Set every counter on courses to its aggregate (COUNTER_TRUTH), in one UPDATE.

    Set-wise, so it also serves a bulk load that ran with the counter triggers dropped.
    """
    assignments = ", ".join(f"{col} = {truth}" for col, truth in COUNTER_TRUTH.items())
    conn.execute(f"UPDATE courses AS c SET {assignments}")
    progress_counters.recompute(conn)


def repair(conn):
    """Recompute the counters and rebuild the search index in one transaction.

    Returns a list of what changed (counter fixes found before the repair, and the rebuild).
    """
    changed = counter_drift(conn)
    fts_broken = bool(fts_problems(conn))
    with transaction(conn):
        if _counters_kept(conn):
            recompute_counters(conn)
        if fts_broken:  # a rebuild rewrites the whole index: only when it is wrong
            conn.execute("INSERT INTO courses_fts(courses_fts) VALUES ('rebuild')")
            changed.append("courses_fts rebuilt from courses")
    return [f"fixed {p}" if p.startswith("course ") else p for p in changed]
