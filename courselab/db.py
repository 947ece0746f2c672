"""Connections with the settings every courselab database relies on."""

import itertools
import sqlite3
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

from .errors import DatabaseOpenError

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 64 * 1024

# Run on every connection the project opens, sqlite3's and SQLAlchemy's (%sql) alike.
# foreign_keys: off by default in SQLite, and then ON DELETE CASCADE silently does nothing.
# recursive_triggers: makes INSERT OR REPLACE fire DELETE triggers for the rows it replaces,
# so the counters of 009 and the search index of 010 stay right.
# cache_size: SQLite's default page cache is 2 MiB; the dashboard's biggest report reads 150,000
# index entries and as many users at the large scale, and with 64 MiB those pages stay cached
# between runs (a ceiling: memory is taken only as pages are read).
CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA recursive_triggers = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    f"PRAGMA cache_size = -{CACHE_KIB}",
)


def apply_pragmas(dbapi_connection):
    """Set CONNECTION_PRAGMAS on a fresh DB-API connection (must be outside a transaction)."""
    cursor = dbapi_connection.cursor()
    for pragma in CONNECTION_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def connect(path, *, create=True, readonly=False):
    """Open the SQLite database at `path` ready for courselab.

    The connection has foreign keys ON, recursive triggers ON, a busy timeout,
    `sqlite3.Row` rows, WAL journaling for file databases, and autocommit mode
    (isolation_level=None): transactions are explicit, see `transaction()`.
    With create=False a missing file is an error instead of a new empty database.
    With readonly=True the file is opened read-only (`mode=ro`): nothing is created and
    the journal mode is left as it is; writes fail with "attempt to write a readonly database".
    Raises DatabaseOpenError with a one-line reason when the file cannot be used.
    """
    path = str(path)
    in_memory = path == ":memory:" or path.startswith("file::memory:")
    if not in_memory:
        _check_openable(Path(path), create and not readonly)
    quoted = urllib.parse.quote(str(Path(path).resolve()))
    mode = "ro" if readonly else "rwc" if create else "rw"
    uri = f"file:{quoted}?mode={mode}"
    try:
        conn = sqlite3.connect(path if in_memory else uri, uri=not in_memory,
                               timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        apply_pragmas(conn)
        if not in_memory and not readonly:
            _use_wal(conn)
    except sqlite3.DatabaseError as exc:
        advice = ("; the file is damaged: restore it from a backup, or save what is left with "
                  f"`sqlite3 {path} .recover`" if "malformed" in str(exc) else "")
        raise DatabaseOpenError(f"{path}: cannot open as a SQLite database ({exc}){advice}"
                                ) from None
    return conn


def _use_wal(conn):
    """Switch the file to WAL journaling.

    Switching needs an exclusive lock and SQLite does not wait for it through the busy
    timeout: two processes opening a new file at once would see "database is locked".
    So retry, within the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _check_openable(path, create):
    if path.is_dir():
        raise DatabaseOpenError(f"{path}: is a directory, not a database file")
    if not path.exists():
        if not create:
            raise DatabaseOpenError(f"{path}: no such database; create it with `courselab migrate`")
        if not path.parent.is_dir():
            raise DatabaseOpenError(f"{path}: directory {path.parent} does not exist; "
                                    "create it first")


@contextmanager
def transaction(conn):
    """Run a block in one write transaction: BEGIN IMMEDIATE, COMMIT, or ROLLBACK on error.

    IMMEDIATE takes the write lock up front, so a concurrent writer waits for the
    busy timeout instead of failing half-way with "database is locked". Inside another
    transaction() it is a SAVEPOINT: an error undoes the inner block only. A trigger's
    RAISE(ROLLBACK, ...) ends the whole transaction itself; its error is what the caller
    sees (never "cannot rollback - no transaction is active").
    """
    if conn.in_transaction:
        yield from _savepoint(conn)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")  # may fail (a deferred foreign key): rolled back below
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


_savepoints = itertools.count(1)


def _savepoint(conn):
    name = f"courselab_{next(_savepoints)}"
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")


def schema_sql(conn, name):
    """The CREATE statement of the table, index, trigger or view `name`; None if none has it."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ? COLLATE NOCASE",
                       (name,)).fetchone()
    return row[0] if row else None


def exists(conn, name):
    """Whether a table, index, trigger or view is called `name` (names ignore case)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ? COLLATE NOCASE",
                        (name,)).fetchone() is not None


def table_names(conn):
    """Names of the ordinary tables (not virtual tables, their shadow tables, sqlite_ internals).

    PRAGMA table_list (SQLite 3.37+) types a virtual table's shadow tables 'shadow' exactly; a
    name prefix would also hide `course_tags` behind a virtual table `course`. Older SQLite:
    the shadow tables of FTS3/4/5 and R*Tree, by their exact names.
    """
    if sqlite3.sqlite_version_info >= (3, 37):
        rows = conn.execute("SELECT name FROM pragma_table_list WHERE schema = 'main' "
                            "AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        return [row[0] for row in rows]
    rows = conn.execute("SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master "
                        "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    tables = {row[0]: row[1] for row in rows}
    shadows = {f"{v}_{suffix}".lower() for v, virtual in tables.items() if virtual
               for suffix in SHADOW_SUFFIXES}
    return [t for t, virtual in tables.items() if not virtual and t.lower() not in shadows]


# fts5; fts3 and fts4; rtree
SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config", "segments", "segdir", "stat",
                   "node", "rowid", "parent")
