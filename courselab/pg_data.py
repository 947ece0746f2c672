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
from .checks import REPAIR, Result
from .errors import FixtureError, MigrationError
from .pg_counters import counter_drift, recompute_counters


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
