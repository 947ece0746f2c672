"""PostgreSQL in a notebook: a database at a migration, and a `%%pg` cell magic.

`pg = pg_notebook.start("24", to="015")` gives the notebook its own PostgreSQL database,
migrated and loaded like `workbook.start` does for SQLite. The server is the one named by
the environment variable COURSELAB_PG_URL (a `postgresql://` URL of a database to create
it from), else a throwaway server started on 127.0.0.1 if PostgreSQL is installed, else
none: then `start` says in one line how to get one and every `%%pg` cell says it skipped.
A `%%pg` cell is a `%%sql` cell run on PostgreSQL (ipython-sql, the same table output);
the `%sql` magic keeps pointing at the notebook's SQLite database.
"""

import os

from . import pg_data, pg_generate, pgserver, postgres
from .fixtures import DATA_DIR

HOW_TO_GET_ONE = ("no PostgreSQL here: install it (Debian: apt-get install postgresql) or set "
                  "COURSELAB_PG_URL=postgresql://user@host:port/dbname, then run this cell "
                  "again; the PostgreSQL cells below skip until then")


class Database:
    """A notebook's PostgreSQL database: its URL, a psycopg connection, and `query()`."""

    def __init__(self, url):
        self.url = url
        self.conn = postgres.connect(url)

    @property
    def sqlalchemy_url(self):
        """The URL with SQLAlchemy's psycopg 3 driver, as ipython-sql needs it."""
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]

    def query(self, sql, params=()):
        """Rows of `sql` as a pandas DataFrame."""
        import pandas as pd

        cursor = self.conn.execute(sql, params)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])

    def plan(self, sql, params=()):
        """PostgreSQL's plan for `sql`, without costs (they vary from run to run)."""
        rows = self.conn.execute(f"EXPLAIN (COSTS OFF) {sql}", params).fetchall()
        return _Lines("\n".join(row[0] for row in rows))


class _Lines(str):
    """A string that a notebook shows as its lines."""

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def start(name, to=None, load=True):
    """A fresh PostgreSQL database `nb<name>` at version `to`, or None with one line saying why."""
    server = _server_url()
    if server is None:
        print(HOW_TO_GET_ONE)
        _register_magic(None)
        return None
    database = _fresh(server, name, to)
    counts = pg_data.load(database.conn, DATA_DIR) if load else {}
    _report(database, counts)
    _register_magic(database)
    return database


def at_scale(name, scale, seed=0):
    """A second database `nb<name>`, at the newest version, holding the `scale` dataset.

    The rows are those `generate` writes into SQLite (same scale, same seed), loaded with
    COPY. None, with one line saying why, without a server; `%%pg` keeps its database.
    """
    server = _server_url()
    if server is None:
        print(HOW_TO_GET_ONE)
        return None
    database = _fresh(server, name, None)
    _report(database, pg_generate.generate_into(database.conn, scale, seed))
    return database


def _fresh(server, name, to):
    """An empty database `nb<name>` on `server`, migrated to `to` (None: the newest)."""
    dbname = f"nb{name}"
    with postgres.connect(server) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {dbname}")
    database = Database(server.rsplit("/", 1)[0] + f"/{dbname}")
    postgres.migrate_up(database.conn, to=to)
    return database


def _report(database, counts):
    dbname = database.url.rsplit("/", 1)[1]
    version = postgres.current_version(database.conn) or "0"
    rows = ", ".join(f"{table} {count}" for table, count in sorted(counts.items()))
    print(f"PostgreSQL database {dbname} at version {version}"
          + (f"; rows: {rows}" if rows else ""))


_cluster = None


def _server_url():
    """COURSELAB_PG_URL, else a throwaway local server (started once per kernel), else None."""
    global _cluster
    if os.environ.get("COURSELAB_PG_URL"):
        return os.environ["COURSELAB_PG_URL"]
    if _cluster is None:
        if pgserver.bin_dir() is None:
            return None
        # Stopped when this kernel ends, even when its client kills it (nbclient, nbval do).
        _cluster = pgserver.Cluster().start(owner=os.getpid())
    return _cluster.url()


def _register_magic(database):
    """Define `%%pg`: run the cell through ipython-sql on PostgreSQL, then switch back."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ipython = get_ipython()
    if ipython is None:
        return

    def pg(line, cell):
        if database is None:
            print("skipped: " + HOW_TO_GET_ONE.split(",")[0] + " (see the setup cell)")
            return None
        from sql.connection import Connection

        previous = Connection.current
        try:
            return ipython.run_cell_magic("sql", f"{database.sqlalchemy_url} {line}", cell)
        finally:
            Connection.current = previous

    ipython.register_magic_function(pg, "cell", "pg")


def show_dialects(version, part=None):
    """Display a migration in SQLite's and PostgreSQL's dialect side by side.

    `part` keeps only the statements that contain that text (e.g. a trigger's name), so
    a long migration fits a slide one piece at a time.
    """
    import html

    from IPython.display import display

    from . import migrate

    sources = []
    for directory in (migrate.MIGRATIONS_DIR, postgres.MIGRATIONS_DIR):
        migration = next(m for m in migrate.discover(directory) if m.version == version)
        sources.append(_statements_with(migration.up.read_text(encoding="utf-8"), part)
                       or "-- nothing to change: only the version is recorded")
    cells = "".join(f'<td style="vertical-align:top;text-align:left"><pre>{html.escape(s)}'
                    "</pre></td>" for s in sources)
    display({"text/html": '<table><tr><th style="text-align:left">SQLite</th>'
                          '<th style="text-align:left">PostgreSQL</th></tr>'
                          f"<tr>{cells}</tr></table>",
             "text/plain": f"-- SQLite\n{sources[0]}\n\n-- PostgreSQL\n{sources[1]}"}, raw=True)


def _statements_with(text, part):
    import sqlparse

    kept = []
    for statement in sqlparse.split(text):
        code = sqlparse.format(statement, strip_comments=True).strip()
        if code.upper() in ("BEGIN;", "COMMIT;") or code.startswith("INSERT INTO schema_"):
            continue
        if part is None or part in code:
            kept.append(code)
    return "\n\n".join(kept)
