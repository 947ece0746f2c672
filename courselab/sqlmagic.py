"""The `%sql` magic (ipython-sql) wired to a notebook's database.

Everything that knows about ipython-sql and SQLAlchemy lives here, so switching the magic one
day touches this file only. `connect(ipython, path)` points `%sql` at a database file with
courselab's pragmas, and can be called again for the same file after it was recreated: the
connection ipython-sql cached for that URL is closed first, so `%sql` never keeps reading a
deleted file.
"""

import html
import io
import numbers
import sys
from contextlib import redirect_stdout

from .db import apply_pragmas

# What ipython-sql prints before every result ("Done.") says nothing a student needs;
# "N rows affected." does, after an INSERT, UPDATE or DELETE.
_NOISE = {"Done."}
_SETTINGS = (
    "SqlMagic.short_errors = False",  # raise SQL errors, so a broken query fails the run
    "SqlMagic.displaycon = False",    # the connection string differs on every machine
    "SqlMagic.feedback = True",       # keep "1 row affected."; "Done." is filtered below
)


def _pragmas_on_every_engine():
    """Make every SQLAlchemy SQLite connection (the %sql magic's) use CONNECTION_PRAGMAS and
    stop at a kernel interrupt."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_connect(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            apply_pragmas(dbapi_connection)
            interruptible(dbapi_connection)

    if not getattr(Engine, "_courselab_pragmas", False):
        event.listen(Engine, "connect", on_connect)
        Engine._courselab_pragmas = True


def connect(ipython, path):
    """Point `%sql` at the SQLite file `path` (relative to the kernel's directory)."""
    from sql.connection import Connection

    _pragmas_on_every_engine()
    if "sql" not in ipython.extension_manager.loaded:
        ipython.extension_manager.load_extension("sql")
        ipython.display_formatter.formatters["text/html"].for_type_by_name(
            "sql.run", "ResultSet", result_html)
    for setting in _SETTINGS:
        ipython.run_line_magic("config", setting)
    magic = ipython.find_magic("sql")
    if not getattr(magic, "courselab", False):
        ipython.register_magic_function(_quiet(magic), "line_cell", "sql")
    url = f"sqlite:///{path}"
    for key, cached in list(Connection.connections.items()):
        if str(cached.url) == url:  # a file deleted and recreated since: drop the old handle
            Connection.connections.pop(key)
            cached.internal_connection.close()
            cached.internal_connection.engine.dispose()
            if Connection.current is cached:
                Connection.current = None
    with redirect_stdout(io.StringIO()):
        ipython.run_line_magic("sql", url)


PROGRESS_STEPS = 10_000  # SQLite virtual-machine steps between two looks at a kernel interrupt


def interruptible(dbapi_connection):
    """Let Kernel > Interrupt stop a statement that runs on this connection (a recursive CTE
    with no end): SQLite calls back into Python every PROGRESS_STEPS steps, the interrupt's
    KeyboardInterrupt is raised there, and the statement ends with "interrupted"."""
    dbapi_connection.set_progress_handler(_keep_going, PROGRESS_STEPS)


def _keep_going():
    return 0


def reload_schemas():
    """Make %sql's connections read the schema again after the file changed under them
    (attempts.py restores a copy through `db`). SQLite checks a new statement's names against
    the schema it cached, and looks at the file only when the statement runs: a CREATE INDEX
    of a name the restored file no longer has would fail with "already exists" until then."""
    from sql.connection import Connection

    for cached in Connection.connections.values():
        dbapi_connection = cached.internal_connection.connection.dbapi_connection
        # SQLite's only: notebook 24's %%pg keeps a PostgreSQL connection there too
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()


def end_transactions():
    """Roll back what a failed %sql statement left open (ipython-sql does it only on its next
    run), so that the database file is not locked meanwhile."""
    from sql.connection import Connection

    for cached in Connection.connections.values():
        cached.internal_connection.rollback()


def _quiet(magic):
    """Wrap the %sql magic: drop "Done." (and the "[]" after a DML statement), and raise
    sqlite3's own exception on an error.

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
        for said in printed.getvalue().splitlines():
            if said.strip() not in _NOISE:
                sys.stdout.write(said.replace("1 rows affected", "1 row affected") + "\n")
        if type(result).__name__ == "ResultSet" and not getattr(result, "keys", None):
            return None  # an INSERT, UPDATE or DELETE: its "N rows affected." is the result
        return result

    sql.needs_local_scope = True
    sql.courselab = True
    return sql


def result_html(result):
    """A %sql result as an HTML table: text left, numbers right, no cell wrapped."""
    keys = list(getattr(result, "keys", []) or [])
    if not keys:  # a statement that returns no rows: "1 row affected." says it all
        return None
    rows = list(result)
    numeric = [bool(rows) and all(isinstance(r[i], numbers.Number) or r[i] is None for r in rows)
               for i in range(len(keys))]

    def cell(tag, value, right):
        align = "right" if right else "left"
        text = "NULL" if value is None and tag == "td" else html.escape(str(value))
        return f'<{tag} style="text-align: {align}; white-space: nowrap">{text}</{tag}>'

    head = "".join(cell("th", k, n) for k, n in zip(keys, numeric, strict=True))
    body = "".join("<tr>" + "".join(cell("td", v, n) for v, n in zip(r, numeric, strict=True))
                   + "</tr>" for r in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>"
