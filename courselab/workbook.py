"""Helpers for the notebooks: a fresh database per notebook, %sql wired to it, and views.

Every notebook starts with `db = workbook.start("05", to="005")`: it deletes that
notebook's database, migrates it to the version the notebook teaches, loads the
fixtures the schema can hold, and points the `%sql` magic at it with foreign keys ON.
"""

import io
import itertools
import sys
from contextlib import redirect_stdout
from pathlib import Path

from . import exercises, fixtures, migrate
from .db import apply_pragmas, connect, table_names

MIGRATIONS = migrate.MIGRATIONS_DIR
_PLAN_CALLS = itertools.count()


def _foreign_keys_on_for_sqlalchemy():
    """Make every SQLAlchemy SQLite connection (the %sql magic's) use CONNECTION_PRAGMAS."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_connect(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            apply_pragmas(dbapi_connection)

    if not getattr(Engine, "_courselab_pragmas", False):
        event.listen(Engine, "connect", on_connect)
        Engine._courselab_pragmas = True


def fresh_database(name, to=None, load=True):
    """Create `<name>.db` from nothing in the current directory; return its connection.

    Migrates up to version `to` (default: all) and, with `load`, loads the fixtures of
    every table that exists at that version.
    """
    path = Path(f"{name}.db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = connect(path)
    migrate.migrate(conn, to=to)
    if load:
        fixtures.load(conn)
    return conn


def start(name, to=None, load=True):
    """Give a notebook its own fresh database and connect the %sql magic to it.

    Prints one line: the database, its version and the rows loaded per table.
    Returns a courselab connection (sqlite3) to the same file.
    """
    conn = fresh_database(name, to, load)
    _foreign_keys_on_for_sqlalchemy()
    ipython = _ipython()
    if ipython is not None:
        _setup_sql_magic(ipython, name)
        exercises.watch(ipython)  # so check("NN.k") sees the answer cells that follow
    version = migrate.current_version(conn) or "0"
    counts = ", ".join(f"{t} {conn.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]}"
                       for t in table_names(conn) if t != "schema_migrations")
    print(f"{name}.db at version {version}" + (f"; rows: {counts}" if counts else ""))
    return conn


def _setup_sql_magic(ipython, name):
    ipython.run_line_magic("load_ext", "sql")
    # Raise SQL errors instead of printing them, so a broken query fails the run.
    ipython.run_line_magic("config", "SqlMagic.short_errors = False")
    # Do not print the connection string (it would be different on every machine).
    ipython.run_line_magic("config", "SqlMagic.displaycon = False")
    # Errors show as one line (type and message): what a student needs, and no file paths.
    with redirect_stdout(io.StringIO()):
        ipython.run_line_magic("xmode", "Minimal")
    magic = ipython.find_magic("sql")
    if not getattr(magic, "courselab", False):
        ipython.register_magic_function(_plain_errors(magic), "line_cell", "sql")
    ipython.run_line_magic("sql", f"sqlite:///{name}.db")


def _plain_errors(magic):
    """Wrap the %sql magic: on a database error, raise sqlite3's own exception.

    ipython-sql prints a full traceback (with this machine's paths) before raising
    SQLAlchemy's wrapper; we drop that print and raise the sqlite3 error inside it,
    the same one a Python program would see.
    """
    from sqlalchemy.exc import DBAPIError

    def sql(line="", cell="", local_ns=None):
        printed = io.StringIO()
        try:
            with redirect_stdout(printed):
                result = magic(line, cell, local_ns)
        except DBAPIError as exc:
            raise exc.orig.with_traceback(None) from None
        sys.stdout.write(printed.getvalue())
        return result

    sql.needs_local_scope = True
    sql.courselab = True
    return sql


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def migration_source(version, down=False):
    """The text of a migration file, by version ('005'), for showing in a notebook."""
    migration = next(m for m in migrate.discover() if m.version == version)
    return (migration.down if down else migration.up).read_text(encoding="utf-8")


def show_migration(version, down=False):
    """Display a migration file as a highlighted SQL block."""
    from IPython.display import Markdown, display

    display(Markdown(f"```sql\n{migration_source(version, down).rstrip()}\n```"))


class QueryPlan(str):
    """A query plan: a string that a notebook shows as its lines, not as a quoted repr."""

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def query_plan(conn, sql, params=()):
    """The EXPLAIN QUERY PLAN lines of `sql`, indented by depth, as one QueryPlan string."""
    # sqlite3 caches prepared statements by their text, and a cached EXPLAIN is not
    # re-planned after a DROP INDEX: a comment unique to this call forces a fresh plan.
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}\n-- plan {next(_PLAN_CALLS)}", params).fetchall()
    depth = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
    return QueryPlan("\n".join(lines))


def er_diagram(conn):
    """A Mermaid erDiagram of the live schema (tables, columns, foreign keys)."""
    lines = ["erDiagram"]
    tables = [t for t in table_names(conn) if t != "schema_migrations"]
    for table in tables:
        lines.append(f"    {table} {{")
        for _cid, column, kind, _notnull, _default, pk in conn.execute(
                f"PRAGMA table_info('{table}')"):
            key = " PK" if pk else ""
            lines.append(f"        {(kind or 'ANY').replace(' ', '_')} {column}{key}")
        lines.append("    }")
    for table in tables:
        for fk in conn.execute(f"PRAGMA foreign_key_list('{table}')"):
            lines.append(f'    {fk[2]} ||--o{{ {table} : "{fk[3]}"')
    return "\n".join(lines)


def show_er_diagram(conn):
    """Display er_diagram() rendered by JupyterLab (text/plain stays the Mermaid source)."""
    from IPython.display import display

    source = er_diagram(conn)
    display({"text/vnd.mermaid": source, "text/plain": source}, raw=True)
