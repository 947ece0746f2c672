"""The invariant checks on PostgreSQL, and the repair of the counters.

They mirror courselab.checks for SQLite: the counters equal their aggregates, the search
column and its GIN index exist and match the text, no row references a row that is not
there (looked for with a query per foreign key: a constraint can have been bypassed) and
every foreign key is enforced, the applied migrations match their files, and the schema is
the one they make (compared with a scratch database migrated to the same version).
"""

from . import migrate, postgres
from .checks import REPAIR, Result, orphan_example
from .errors import DatabaseOpenError, MigrationError
from .pg_counters import counter_drift, recompute_counters
from .pg_scratch import scratch_database

# Every foreign key of the current schema: child table, parent table, and their columns in
# order, quoted for SQL text.
FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint c
WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
ORDER BY 1, c.conname"""


# What the search column holds: 010's words of the text as it is, and 020's words of the
# text as search_text() reads it (accents dropped, punctuation a space).
SEARCH_010 = ("setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
              "setweight(to_tsvector('simple', coalesce(description, '')), 'B')")
SEARCH_020 = "course_search(title, description)"


def folds_words(conn):
    """True when 020 is applied: search reads the text and typed words through search_text()."""
    return conn.execute("SELECT to_regprocedure('search_text(text)') IS NOT NULL").fetchone()[0]


def search_problems(conn):
    """The search column must exist, be indexed, and hold each course's words."""
    has_column = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_name = "
                              "'courses' AND column_name = 'search'").fetchone()
    if not has_column:
        return []
    problems = []
    if conn.execute("SELECT to_regclass('courses_fts')").fetchone()[0] is None:
        problems.append("the GIN index courses_fts on courses.search is missing; migrate again")
    truth = SEARCH_020 if folds_words(conn) else SEARCH_010
    stale = conn.execute(f"SELECT id FROM courses WHERE search IS DISTINCT FROM {truth} "
                         "ORDER BY id").fetchall()
    problems += [f"course {course_id}: search column does not match its text"
                 for (course_id,) in stale]
    return problems


def orphan_rows(conn):
    """Rows whose foreign key names no row of its parent, counted per foreign key.

    Found by an anti-join each, not taken on trust: `session_replication_role = replica`,
    a disabled trigger or a restored dump can leave such rows behind a valid constraint.
    """
    problems = []
    for table, parent, columns, parent_columns in conn.execute(FOREIGN_KEYS).fetchall():
        example = orphan_example(table, parent, list(zip(columns, parent_columns, strict=True)))
        count = conn.execute(f"SELECT COUNT(*) FROM ({example}) AS o").fetchone()[0]
        if count:
            problems.append(f"{table}: {count} row(s) whose {', '.join(columns)} has no row in "
                            f"{parent} (e.g. {example})")
    return problems


def foreign_key_problems(conn):
    """Orphan rows, and foreign keys that PostgreSQL does not enforce (disabled, NOT VALID)."""
    problems = orphan_rows(conn)
    rows = conn.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE contype = 'f' AND NOT convalidated ORDER BY 1, 2").fetchall()
    problems += [f"{table}: foreign key {name} is NOT VALID" for table, name in rows]
    disabled = conn.execute(
        "SELECT tgrelid::regclass::text, COUNT(*) FROM pg_trigger "
        "WHERE tgenabled IN ('D', 'R') GROUP BY 1 ORDER BY 1").fetchall()
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


def schema_drift(conn, directory=None):
    """Objects missing, extra or changed against a fresh database at the same version.

    [] when the applied migrations do not match their files (a file missing, renamed or
    edited, a version skipped): the migrations check reports that, and the files could not
    make the same database anyway.
    """
    version = postgres.current_version(conn)
    if not version or migration_problems(conn, directory):
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
    """Applied migrations that differ from their files, and versions missing below the top."""
    try:
        migrations = migrate.discover(directory or postgres.MIGRATIONS_DIR)
        postgres.verify(conn, migrations)
    except MigrationError as exc:
        return [str(exc)]
    recorded = postgres.applied(conn)
    top = max(recorded, default="")
    return [f"version {m.version} ({m.name}) is not applied but {top} is"
            for m in migrations if m.version < top and m.version not in recorded]


def _schema_result(conn, directory):
    """The schema comparison, or why it could not run (a role without CREATEDB, say)."""
    import psycopg

    name = "schema matches the applied migrations"
    fix = "schema drift: rebuild the database or put the change in a new migration"
    try:
        return Result(name, schema_drift(conn, directory), fix)
    except psycopg.errors.InsufficientPrivilege as exc:
        user = conn.info.user
        return Result(name, [f"could not be checked: role {user} may not create the scratch "
                             f"database it is compared with ({exc.diag.message_primary})"],
                      f"schema: run check as a role with CREATEDB (ALTER ROLE {user} CREATEDB)")
    except (DatabaseOpenError, MigrationError) as exc:
        return Result(name, [f"could not be checked: {exc}"], fix)


def run_checks(conn, directory=None):
    """Every invariant on PostgreSQL, as a list of Result (the names SQLite's checks use)."""
    return [
        Result("counters equal their aggregates", counter_drift(conn), REPAIR),
        Result("search index matches courses", search_problems(conn),
               "search: migrate a new database; the column is computed from the text"),
        Result("foreign keys point at rows", foreign_key_problems(conn),
               "orphan rows: delete them, or add the rows they name (the SELECT shown finds "
               "them); enable disabled triggers again (ALTER TABLE … ENABLE TRIGGER ALL) and "
               "VALIDATE a NOT VALID constraint"),
        Result("applied migrations match their files", migration_problems(conn, directory),
               "migrations: restore the files the database was migrated with"),
        _schema_result(conn, directory),
    ]


def repair(conn, directory=None):
    """Recompute every counter from its aggregate in one transaction; return what changed.

    `directory` (the migrations) is SQLite's repair's, which checks the schema against them
    first; here the counters are recomputed by what the database's own functions define."""
    changed = counter_drift(conn)
    if changed:
        with conn.transaction():
            recompute_counters(conn)
    return [f"fixed {problem}" for problem in changed]
