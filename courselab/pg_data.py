"""The platform's data on PostgreSQL: COPY loading, search, and the invariant checks.

The checks mirror courselab.checks for SQLite: the counters equal their aggregates, the
search column and its GIN index exist and match the text, every foreign key is enforced
and valid, and the schema is the one its applied migrations make (compared with a
scratch database migrated to the same version on the same server).
"""

import csv
import uuid
from contextlib import contextmanager
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from . import migrate, postgres
from .checks import COUNTERS, EPSILON, REPAIR, ROW_LABELS, Counter, Result
from .errors import FixtureError, MigrationError

# The lessons of the enrollment's (the alias c's) course that its user completed.
_LESSONS_DONE = """(SELECT COUNT(*) FROM progress p
    JOIN lessons l  ON l.id = p.lesson_id
    JOIN sections s ON s.id = l.section_id
    WHERE p.user_id = c.user_id AND s.course_id = c.course_id)"""

# 009's counters and 017's (courselab.progress_counters on SQLite). Enrollments come first:
# recomputed with the triggers on (check --repair), a change of lessons_done moves its
# course's sum, which is then set to its truth after.
PG_COUNTERS = (
    Counter("enrollments", "lessons_done", _LESSONS_DONE, "017"),
    Counter("enrollments", "course_title", "(SELECT title FROM courses WHERE id = c.course_id)",
            "017"),
    *COUNTERS,
    Counter("courses", "lessons_done_sum", """(SELECT COUNT(*) FROM enrollments e
        JOIN progress p ON p.user_id = e.user_id
        JOIN lessons l  ON l.id = p.lesson_id
        JOIN sections s ON s.id = l.section_id AND s.course_id = e.course_id
        WHERE e.course_id = c.id)""", "017"),
    Counter("courses", "completed_count",
            "(SELECT COUNT(e.completed_at) FROM enrollments e WHERE e.course_id = c.id)", "017"),
)
TEXT_COPIES = {"course_title"}  # compared as text; every other counter as a number
PG_ROW_LABELS = {**ROW_LABELS, "enrollments": "'enrollment ' || c.user_id || '/' || c.course_id"}


def load_order(conn):
    """Tables of the current schema, each after the tables its foreign keys reference."""
    graph = {t: set() for t in postgres.row_counts(conn)}
    for child, parent in conn.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"):
        graph.setdefault(child, set()).add(parent)
    try:
        return [t for t in TopologicalSorter(graph).static_order() if t in graph]
    except CycleError as exc:
        raise FixtureError(f"foreign keys form a cycle among {exc.args[1]}") from None


def load(conn, directory):
    """COPY every `directory/<table>.csv` into its table, parents first, in one transaction.

    Returns {table: rows}. A bad row fails the whole load with FixtureError naming the
    file and PostgreSQL's reason (COPY reports the line it stopped at).
    """
    import psycopg

    loaded = {}
    with conn.transaction():
        for table in load_order(conn):
            path = Path(directory) / f"{table}.csv"
            if not path.exists():
                continue
            with path.open(newline="", encoding="utf-8-sig") as handle:
                header = next(csv.reader(handle), None)
                if not header:
                    raise FixtureError(f"{path}:1: empty file; a header line is required")
                columns = ", ".join(f'"{c.strip()}"' for c in header)
                try:
                    with conn.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN '
                                            "WITH (FORMAT csv)") as copy:
                        for block in iter(lambda: handle.read(1 << 16), ""):
                            copy.write(block)
                except psycopg.Error as exc:
                    where = (exc.diag.context or "").splitlines()[0] if exc.diag.context else ""
                    raise FixtureError(f"{path}: {exc.diag.message_primary} ({where})") from None
            loaded[table] = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    return loaded



SEARCH_SQL = """
SELECT id, title, difficulty, avg_rating, enrollment_count
FROM courses, plainto_tsquery('simple', %s) AS query
WHERE search @@ query
  AND is_published = 1
ORDER BY ts_rank(search, query) DESC, id
LIMIT %s
"""


def search_courses(conn, text, limit=20):
    """Published courses matching every word of `text`, best ts_rank first.

    plainto_tsquery reads any text as plain words joined by AND: operators, quotes and
    parentheses typed by a user are never syntax. Text with no word gives [].
    """
    return conn.execute(SEARCH_SQL, (text or "", limit)).fetchall()


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
                                f"WHERE {wrong} ORDER BY 1"):
            for index, counter in enumerate(mine):
                found, expected = row[1 + 2 * index], row[2 + 2 * index]
                if not _same(counter, found, expected):
                    problems.append(f"{row[0]}: {counter.column} is {found}, "
                                    f"expected {expected}")
    return problems


def _cast(counter):
    return "" if counter.column in TEXT_COPIES else "::float8"


def _same(counter, found, expected):
    if counter.column in TEXT_COPIES or found is None or expected is None:
        return found == expected
    return abs(float(found) - float(expected)) <= EPSILON


# 017's counters recomputed with joins rather than a subquery per row (a pass over progress,
# then one over enrollments): enrollments first, then the sums of their courses.
RECOMPUTE_017 = (
    """UPDATE enrollments AS e SET course_title = x.title, lessons_done = x.n
    FROM (SELECT e2.user_id, e2.course_id, c.title, COALESCE(d.n, 0) AS n
          FROM enrollments e2
          JOIN courses c ON c.id = e2.course_id
          LEFT JOIN (SELECT p.user_id, s.course_id, COUNT(*) AS n
                     FROM progress p
                     JOIN lessons l  ON l.id = p.lesson_id
                     JOIN sections s ON s.id = l.section_id
                     GROUP BY p.user_id, s.course_id) d
                 ON d.user_id = e2.user_id AND d.course_id = e2.course_id) AS x
    WHERE e.user_id = x.user_id AND e.course_id = x.course_id
      AND (e.course_title IS DISTINCT FROM x.title OR e.lessons_done <> x.n)""",
    """UPDATE courses AS c SET lessons_done_sum = x.done, completed_count = x.completed
    FROM (SELECT c2.id, COALESCE(SUM(e.lessons_done), 0) AS done,
                 COUNT(e.completed_at) AS completed
          FROM courses c2 LEFT JOIN enrollments e ON e.course_id = c2.id
          GROUP BY c2.id) AS x
    WHERE c.id = x.id AND (c.lessons_done_sum <> x.done OR c.completed_count <> x.completed)""",
)


def recompute_counters(conn):
    """Set every kept counter to its aggregate: 009's one UPDATE per table, then 017's."""
    counters = [k for k in kept_counters(conn) if k.since != "017"]
    for table in dict.fromkeys(c.table for c in counters):
        assignments = ", ".join(f"{k.column} = {k.truth}" for k in counters if k.table == table)
        conn.execute(f"UPDATE {table} AS c SET {assignments}")
    if postgres.current_version(conn) >= "017":
        for statement in RECOMPUTE_017:
            conn.execute(statement)


def search_problems(conn):
    """The search column must exist, be indexed, and hold each course's words."""
    has_column = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_name = "
                              "'courses' AND column_name = 'search'").fetchone()
    if not has_column:
        return []
    problems = []
    if conn.execute("SELECT to_regclass('courses_fts')").fetchone()[0] is None:
        problems.append("the GIN index courses_fts on courses.search is missing; migrate again")
    stale = conn.execute(
        "SELECT id FROM courses WHERE search IS DISTINCT FROM "
        "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce(description, '')), 'B') ORDER BY id").fetchall()
    problems += [f"course {course_id}: search column does not match its text"
                 for (course_id,) in stale]
    return problems


def foreign_key_problems(conn):
    """Foreign keys that PostgreSQL does not enforce (disabled triggers, NOT VALID)."""
    rows = conn.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE contype = 'f' AND NOT convalidated ORDER BY 1, 2").fetchall()
    problems = [f"{table}: foreign key {name} is NOT VALID" for table, name in rows]
    disabled = conn.execute(
        "SELECT tgrelid::regclass::text, COUNT(*) FROM pg_trigger "
        "WHERE tgenabled = 'D' GROUP BY 1 ORDER BY 1").fetchall()
    problems += [f"{table}: {count} trigger(s) disabled (foreign keys or counters unchecked)"
                 for table, count in disabled]
    return problems


def schema(conn):
    """{(kind, name): definition} of the tables' columns, indexes, triggers and functions."""
    objects = {}
    for table, column, kind, nullable, default in conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = current_schema()"):
        objects[("column", f"{table}.{column}")] = f"{kind} {nullable} {default}"
    for name, definition in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"):
        objects[("index", name)] = definition
    for name, definition in conn.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"):
        objects[("trigger", name)] = definition
    for name, definition in conn.execute(
            "SELECT proname, prosrc FROM pg_proc "
            "WHERE pronamespace = current_schema()::regnamespace"):
        objects[("function", name)] = definition
    return objects


@contextmanager
def scratch_database(conn):
    """A new empty database on the same server, dropped afterwards; yields a connection."""
    info = conn.info
    name = f"courselab_scratch_{uuid.uuid4().hex[:12]}"
    conn.execute(f"CREATE DATABASE {name}")
    url = f"postgresql://{info.user}@{info.host}:{info.port}/{name}"
    try:
        with postgres.connect(url) as scratch:
            yield scratch
    finally:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def schema_drift(conn, directory=None):
    """Objects missing, extra or changed against a fresh database at the same version."""
    version = postgres.current_version(conn)
    if not version:
        return []
    with scratch_database(conn) as fresh:
        postgres.migrate_up(fresh, directory, to=version)
        expected = schema(fresh)
    found = schema(conn)
    problems = [f"{kind} {name} is missing"
                for kind, name in sorted(expected.keys() - found.keys())]
    problems += [f"{kind} {name} is not made by any applied migration"
                 for kind, name in sorted(found.keys() - expected.keys())]
    problems += [f"{kind} {name} differs from its migration"
                 for (kind, name) in sorted(expected.keys() & found.keys())
                 if expected[(kind, name)] != found[(kind, name)]]
    return problems


def migration_problems(conn, directory=None):
    """Applied migrations that differ from their files."""
    try:
        postgres.verify(conn, migrate.discover(directory or postgres.MIGRATIONS_DIR))
    except MigrationError as exc:
        return [str(exc)]
    return []


def run_checks(conn, directory=None):
    """Every invariant on PostgreSQL, as a list of Result (the names SQLite's checks use)."""
    return [
        Result("counters equal their aggregates", counter_drift(conn), REPAIR),
        Result("search index matches courses", search_problems(conn),
               "search: migrate a new database; the column is computed from the text"),
        Result("foreign keys point at rows", foreign_key_problems(conn),
               "enable the triggers again (ALTER TABLE … ENABLE TRIGGER ALL) and VALIDATE "
               "the constraint"),
        Result("applied migrations match their files", migration_problems(conn, directory),
               "migrations: restore the files the database was migrated with"),
        Result("schema matches the applied migrations", schema_drift(conn, directory),
               "schema drift: rebuild the database or put the change in a new migration"),
    ]


def repair(conn):
    """Recompute every counter from its aggregate in one transaction; return what changed."""
    changed = counter_drift(conn)
    if changed:
        with conn.transaction():
            recompute_counters(conn)
    return [f"fixed {problem}" for problem in changed]
