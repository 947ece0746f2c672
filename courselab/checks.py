"""Invariants the schema promises, checked on a live database, and their repair.

Each check returns its problems and says how to fix them: `--repair` for what it can
recompute (counters, the search index), the step to take for what it cannot (orphan
rows, schema drift, a damaged file, edited migrations). Repair writes only the rows that
are wrong, and refuses to write at all on a schema with triggers or tables the migrations do
not create (checks_schema). A database locked by another writer is waited for through the
busy timeout, then reported as busy (DatabaseBusyError), never as broken.
"""

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass

from . import checks_fts, checks_schema, migrate, progress_counters, schema_drift
from .checks_fts import fts_problems as fts_problems  # checks.fts_problems, as before
from .checks_schema import migration_problems as migration_problems
from .db import transaction

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


def kept_counters(conn, version=None):
    """The COUNTERS promised at `version` (default: the highest applied migration)."""
    top = migrate.current_version(conn) if version is None else version
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


def counter_drift(conn, version=None):
    """['course X: enrollment_count is 7, expected 2', ...] for every counter off its aggregate.

    `version`: the database's version (see kept_counters).
    """
    problems = []
    counters = kept_counters(conn, version)
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
                        f"(e.g. {orphan_example(table, parent, pairs)})")
    return problems


def orphan_example(table, parent, pairs):
    """A statement that shows the orphan rows of one foreign key, [(column, parent column)]
    (MATCH SIMPLE: a row with a NULL key is no orphan); also PostgreSQL's check's."""
    match = " AND ".join(f"p.{pc or 'rowid'} = t.{c}" for c, pc in pairs)
    present = " AND ".join(f"t.{c} IS NOT NULL" for c, _pc in pairs)
    return (f"SELECT * FROM {table} t WHERE {present} AND NOT EXISTS "
            f"(SELECT 1 FROM {parent} p WHERE {match})")


def integrity_problems(conn):
    """What PRAGMA integrity_check reports, if anything but 'ok'."""
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


DRIFT_FIX = ("schema drift (changed outside the migrations): rebuild the database (`courselab "
             "migrate` a new file, then load the data) or put the change in a new migration")


def run_checks(conn, directory=None):
    """Every invariant, as a list of Result; DatabaseBusyError if another writer holds the lock.

    Text that is not valid UTF-8 is read with its bad bytes escaped (\\xff), as drift.
    """
    with _readable_text(conn):
        ref, unreadable = _reference(conn, directory)
        fts = _result("search index matches courses", checks_fts.FIX, fts_problems, conn)
        if any(checks_fts.BEYOND_REBUILD in p for p in fts.problems):
            fts.fix = checks_fts.CANNOT_FIX
        return [
            _result("counters equal their aggregates", REPAIR, counter_drift, conn,
                    getattr(ref, "version", None)),
            fts,
            _result("foreign keys point at rows",
                    "orphan rows (left while foreign keys were off): delete them, or add the "
                    "rows they name; the SELECT shown finds them", foreign_key_problems, conn),
            _result("database file is intact", "damaged file: restore it from a backup, or "
                    "rebuild it with `sqlite3 FILE .recover`", integrity_problems, conn),
            _result("applied migrations match their files", checks_schema.FIX,
                    migration_problems, conn, directory, ref),
            unreadable or _result("schema matches the applied migrations", DRIFT_FIX,
                                  schema_drift.drift, conn, directory, ref),
        ]


def _reference(conn, directory):
    """(schema_drift.reference(), None), or (None, the schema check's Result saying why not)."""
    try:
        return schema_drift.reference(conn, directory), None
    except sqlite3.DatabaseError as exc:
        checks_fts.raise_if_busy(exc)
        return None, Result("schema matches the applied migrations",
                            [f"could not be checked: {exc}"], DRIFT_FIX)


@contextmanager
def _readable_text(conn):
    """Decode TEXT with bad UTF-8 escaped (\\xff) instead of failing, for the block."""
    before = conn.text_factory
    conn.text_factory = lambda data: data.decode("utf-8", "backslashreplace")
    try:
        yield conn
    finally:
        conn.text_factory = before


def _result(name, fix, check, *args):
    """Run one check; a damaged file that makes it fail is a problem to report, not a crash."""
    try:
        return Result(name, check(*args), fix)
    except sqlite3.DatabaseError as exc:
        checks_fts.raise_if_busy(exc)
        return Result(name, [f"could not be checked: {exc}"], fix)


def recompute_counters(conn, counters=None):
    """Set every kept counter that differs from its aggregate (COUNTERS), one UPDATE per table.

    Set-wise, so it also serves a bulk load that ran with the counter triggers dropped. Only
    rows whose stored value is not the aggregate are written, so a trigger on them fires
    only where a counter changes.
    """
    counters = kept_counters(conn) if counters is None else counters
    for table in dict.fromkeys(c.table for c in counters):
        mine = [k for k in counters if k.table == table]
        truths = ", ".join(f"{k.truth} AS e{i}" for i, k in enumerate(mine))
        assignments = ", ".join(f"{k.column} = x.e{i}" for i, k in enumerate(mine))
        wrong = " OR ".join(f"NOT {_same(f'c.{k.column}', f'x.e{i}')}"
                            for i, k in enumerate(mine))
        # Each aggregate computed once per row, then joined back by rowid.
        conn.execute(f"UPDATE {table} AS c SET {assignments} FROM (SELECT c.rowid AS id, "
                     f"{truths} FROM {table} c) AS x WHERE c.rowid = x.id AND ({wrong})")
    progress_counters.recompute(conn)


def repair(conn, directory=None):
    """Recompute the drifted counters and rebuild the search index in one transaction.

    Returns a list of what changed (counter fixes found before the repair, and the rebuild,
    or why the index could not be rebuilt: the counter fixes are kept then). Everything runs
    under the write lock, waited for through the busy timeout. Raises CourselabError, having
    changed nothing, if the schema has objects the migrations do not create (see
    checks_schema.refuse_unsafe_drift). What repair cannot fix (orphans, a missing trigger...)
    is left to run_checks() to report.
    """
    try:
        with _readable_text(conn), transaction(conn):
            ref = schema_drift.reference(conn, directory)
            checks_schema.refuse_unsafe_drift(conn, ref)
            version = migrate.current_version(conn) if ref is None else ref.version
            changed = counter_drift(conn, version)
            fts_broken = bool(fts_problems(conn))
            if changed:
                recompute_counters(conn, kept_counters(conn, version))
            if fts_broken:  # a rebuild rewrites the whole index: only when it is wrong
                error = checks_fts.rebuild(conn)
                changed.append("courses_fts rebuilt from courses" if error is None else
                               f"search index not rebuilt: FTS5 refuses ({error}); the "
                               "other lines here are repaired")
    except sqlite3.OperationalError as exc:
        checks_fts.raise_if_busy(exc)
        raise
    return [f"fixed {p}" if p.startswith("course ") else p for p in changed]
