"""Invariants the schema promises, checked on a live database, and their repair.

Each check returns its problems and says how to fix them: `--repair` for what it can
recompute (counters, the search index), the step to take for what it cannot (orphan
rows, schema drift, a damaged file, edited migrations). A database locked by another
writer is reported as busy (DatabaseBusyError), never as broken.
"""

import sqlite3
from dataclasses import dataclass

from . import migrate, progress_counters, schema_drift
from .db import exists, transaction
from .errors import DatabaseBusyError, MigrationError
from .search import to_match_query, tokenize_option

EPSILON = 1e-9


@dataclass(frozen=True)
class Counter:
    """A stored counter: its table and column, the aggregate it must equal, and since when.

    `truth` is correlated on the alias `c` (the counter's row); `since` is the version of
    the migration whose triggers keep it (before it the counter is not promised).
    """

    table: str
    column: str
    truth: str
    since: str


# How a row of a table holding counters is named in a problem ('course c-sql').
ROW_LABELS = {"courses": "'course ' || c.id"}

COUNTERS = (
    Counter("courses", "lesson_count", "(SELECT COUNT(*) FROM lessons l JOIN sections s "
            "ON s.id = l.section_id WHERE s.course_id = c.id)", "009"),
    Counter("courses", "enrollment_count",
            "(SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id)", "009"),
    Counter("courses", "review_count",
            "(SELECT COUNT(*) FROM reviews r WHERE r.course_id = c.id)", "009"),
    Counter("courses", "rating_sum",
            "(SELECT COALESCE(SUM(rating), 0) FROM reviews r WHERE r.course_id = c.id)", "009"),
    Counter("courses", "avg_rating",
            "(SELECT AVG(rating) FROM reviews r WHERE r.course_id = c.id)", "009"),
)

# The aggregates of the counters on courses, by column (the benchmark computes them).
COUNTER_TRUTH = {k.column: k.truth for k in COUNTERS if k.table == "courses"}

REPAIR = "counters: `courselab check --repair` recomputes them"


@dataclass
class Result:
    """One invariant: its name, the problems found, and how to fix them."""

    name: str
    problems: list
    fix: str = ""

    @property
    def ok(self):
        return not self.problems


def kept_counters(conn):
    """The COUNTERS promised at this database's version (by its applied migrations)."""
    top = migrate.current_version(conn)
    return [c for c in COUNTERS if c.since <= top]


def _same(column, truth):
    """SQL: the stored value equals the aggregate (a number within EPSILON, or both NULL).

    Text, blobs, NULL for a number: not equal. BETWEEN, not abs(): abs() of the
    smallest 64-bit integer is an overflow error.
    """
    return (f"(CASE WHEN {column} IS NULL OR {truth} IS NULL "
            f"THEN {column} IS NULL AND {truth} IS NULL "
            f"ELSE typeof({column}) IN ('integer', 'real') "
            f"AND {column} - {truth} BETWEEN -{EPSILON} AND {EPSILON} END)")


def counter_drift(conn):
    """['course X: enrollment_count is 7, expected 2', ...] for every counter off its aggregate."""
    problems = []
    counters = kept_counters(conn)
    for table in dict.fromkeys(c.table for c in counters):
        mine = [k for k in counters if k.table == table]
        select = ", ".join(f"c.{k.column} AS f{i}, {k.truth} AS e{i}" for i, k in enumerate(mine))
        wrong = " OR ".join(f"NOT {_same(f'f{i}', f'e{i}')}" for i in range(len(mine)))
        # MATERIALIZED: each aggregate is computed once per row, not once per use in WHERE.
        rows = conn.execute(f"WITH v AS MATERIALIZED (SELECT {ROW_LABELS[table]} AS label, "
                            f"{select} FROM {table} c) SELECT * FROM v WHERE {wrong} ORDER BY 1")
        for row in rows:
            for index, counter in enumerate(mine):
                found, expected = row[1 + 2 * index], row[2 + 2 * index]
                if not _equal(found, expected):
                    problems.append(f"{row[0]}: {counter.column} is {_shown(found)}, "
                                    f"expected {expected}")
    return problems + progress_counters.drift(conn)  # the progress counters of 017


def _equal(found, expected):
    if not isinstance(found, int | float) or expected is None:
        return found is None and expected is None
    return abs(found - expected) <= EPSILON


def _shown(value):
    return value if isinstance(value, int | float) or value is None else repr(value)


def fts_problems(conn, sample=20):
    """Problems of courses_fts: integrity-check against courses, and sample searches.

    A courses_fts that is missing is schema drift, reported by that check.
    """
    if not exists(conn, "courses_fts"):
        return []
    error = _fts_integrity_error(conn)
    if error:
        return [f"courses_fts does not match courses ({error})"]
    problems = []
    tokenize = tokenize_option(conn)
    rows = conn.execute("SELECT id, title, rowid FROM courses WHERE is_published = 1 "
                        "ORDER BY id LIMIT ?", (sample,))
    for course_id, title, rowid in rows.fetchall():
        query = to_match_query(title, tokenize) if isinstance(title, str) else None
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
            _raise_if_busy(exc)
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
    """Orphan rows (PRAGMA foreign_key_check), counted per table and foreign key."""
    counts = {}
    for table, _rowid, parent, fk in conn.execute("PRAGMA foreign_key_check"):
        counts[(table, parent, fk)] = counts.get((table, parent, fk), 0) + 1
    problems = []
    for (table, parent, fk), count in sorted(counts.items()):
        pairs = [(row[3], row[4]) for row in conn.execute(f"PRAGMA foreign_key_list('{table}')")
                 if row[0] == fk]
        columns = ", ".join(column for column, _parent_column in pairs)
        problems.append(f"{table}: {count} row(s) whose {columns} has no row in {parent} "
                        f"(e.g. {_orphan_example(table, parent, pairs)})")
    return problems


def _orphan_example(table, parent, pairs):
    """A statement that shows the orphan rows of one foreign key."""
    match = " AND ".join(f"p.{pc or 'rowid'} = t.{c}" for c, pc in pairs)
    present = " AND ".join(f"t.{c} IS NOT NULL" for c, _pc in pairs)
    return (f"SELECT * FROM {table} t WHERE {present} AND NOT EXISTS "
            f"(SELECT 1 FROM {parent} p WHERE {match})")


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
    """Every invariant, as a list of Result; DatabaseBusyError if another writer holds the lock."""
    return [
        _result("counters equal their aggregates", REPAIR, counter_drift, conn),
        _result("search index matches courses",
                "search index: `courselab check --repair` rebuilds it", fts_problems, conn),
        _result("foreign keys point at rows",
                "orphan rows (left while foreign keys were off): delete them, or add the rows "
                "they name; the SELECT shown finds them", foreign_key_problems, conn),
        _result("database file is intact", "damaged file: restore it from a backup, or "
                "rebuild it with `sqlite3 FILE .recover`", integrity_problems, conn),
        _result("applied migrations match their files", "migrations: restore the files the "
                "database was migrated with", migration_problems, conn, directory),
        _result("schema matches the applied migrations", "schema drift (changed outside the "
                "migrations): rebuild the database (`courselab migrate` a new file, then load "
                "the data) or put the change in a new migration", schema_drift.drift, conn,
                directory),
    ]


def _result(name, fix, check, *args):
    """Run one check; a damaged file that makes it fail is a problem to report, not a crash."""
    try:
        return Result(name, check(*args), fix)
    except sqlite3.DatabaseError as exc:
        _raise_if_busy(exc)
        return Result(name, [f"could not be checked: {exc}"], fix)


def _raise_if_busy(exc):
    if exc.sqlite_errorname in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in str(exc):
        raise DatabaseBusyError("database is busy: another connection holds its write lock; "
                                "run this again when that writer has finished") from None


def recompute_counters(conn, counters=None):
    """Set every kept counter to its aggregate (COUNTERS), one UPDATE per table.

    Set-wise, so it also serves a bulk load that ran with the counter triggers dropped.
    """
    counters = kept_counters(conn) if counters is None else counters
    for table in dict.fromkeys(c.table for c in counters):
        assignments = ", ".join(f"{k.column} = {k.truth}" for k in counters if k.table == table)
        conn.execute(f"UPDATE {table} AS c SET {assignments}")
    progress_counters.recompute(conn)


def repair(conn):
    """Recompute the counters and rebuild the search index in one transaction.

    Returns a list of what changed (counter fixes found before the repair, and the rebuild).
    What repair cannot fix (orphans, drift...) is left to run_checks() to report.
    """
    try:
        changed = counter_drift(conn)
        fts_broken = bool(fts_problems(conn))
        with transaction(conn):
            if changed:
                recompute_counters(conn)
            if fts_broken:  # a rebuild rewrites the whole index: only when it is wrong
                conn.execute("INSERT INTO courses_fts(courses_fts) VALUES ('rebuild')")
                changed.append("courses_fts rebuilt from courses")
    except sqlite3.OperationalError as exc:
        _raise_if_busy(exc)
        raise
    return [f"fixed {p}" if p.startswith("course ") else p for p in changed]
