"""Running one migration file, up or down, in one transaction, and its record.

The runner's own table, schema_migrations, records each applied version with its file's name
and checksum. `run` executes a parsed file's statements one by one inside BEGIN IMMEDIATE,
with foreign keys off if the file asks, checks what they did (guards.py: cascades, dangling
rows, lost triggers and indexes, triggers and views naming what is gone, lost rows, the
version recorded), stores the checksum and commits; any failure rolls the whole file back.
"""

import sqlite3
from contextlib import contextmanager

from . import guards, sqlfile
from .db import exists, transaction
from .errors import MigrationError

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)"""


def ensure_table(conn):
    """Create schema_migrations if it is missing (the runner's own table, before 001)."""
    conn.execute(CREATE_SCHEMA_MIGRATIONS)


def applied(conn):
    """{version: (name, checksum)} of the migrations recorded in the database."""
    if not exists(conn, "schema_migrations"):
        return {}
    rows = conn.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    return {row[0]: (row[1], row[2]) for row in rows}


def run(conn, migration, up, keep_rows=False):
    """Run one file in one transaction; False if another process already did it."""
    parsed = sqlfile.parse(migration.up if up else migration.down)
    committing = False
    try:
        with _foreign_keys(conn, off=parsed.foreign_keys_off), transaction(conn):
            # Re-read under the write lock: a concurrent runner may have done this already.
            recorded = applied(conn)
            if (migration.version in recorded) != (not up):
                return False
            _refuse_moved_versions(migration, parsed.name, up, recorded)
            ensure_table(conn)  # in the first migration's transaction: gone if it fails
            _execute(conn, migration, parsed, up, keep_rows)
            if up:
                conn.execute("UPDATE schema_migrations SET checksum = ? WHERE version = ?",
                             (migration.checksum, migration.version))
            committing = True
    except sqlite3.IntegrityError as exc:
        if not committing:
            raise
        # A deferred foreign key (DEFERRABLE INITIALLY DEFERRED, PRAGMA defer_foreign_keys)
        # is checked only by COMMIT; transaction() has rolled the file back.
        raise MigrationError(f"{parsed.name}:{parsed.closing_line}: {exc} at COMMIT: a deferred "
                             "foreign key is violated; insert the parent rows or delete the "
                             "child rows before COMMIT (PRAGMA foreign_key_check lists them); "
                             "nothing of this migration was applied") from None
    return True


def _refuse_moved_versions(migration, name, up, recorded):
    """Refuse to apply a version above a gap, or to undo one below an applied version.

    The run chose its files before this file's write lock: a concurrent rollback may have
    undone the version below since, a concurrent migrate applied versions above. Going on
    would leave a hole in the chain (a later migration applied without an earlier one).
    """
    version = migration.version
    below = f"{int(version) - 1:03d}"
    if up and int(version) > 1 and below not in recorded:
        raise MigrationError(f"{name}: version {below} below it is no longer applied (another "
                             "connection rolled it back meanwhile); nothing of this migration "
                             "was applied: run migrate again")
    if not up and max(recorded) > version:
        raise MigrationError(f"{name}: version {max(recorded)} above it was applied meanwhile "
                             f"(by another connection); {version} stays applied: run rollback "
                             "again")


@contextmanager
def _foreign_keys(conn, off):
    """Foreign keys OFF for the block when `off` (set outside any transaction); ON after.

    Also undoes a file's `PRAGMA legacy_alter_table=ON` (allowed for a rebuild's RENAME).
    """
    if off:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA legacy_alter_table = OFF")


def _execute(conn, migration, parsed, up, keep_rows):
    """Run a parsed file's statements in the open transaction and check what they did."""
    name = parsed.name
    rows_before = guards.row_counts(conn) if keep_rows else None
    versions_before = guards.versions(conn)
    missing_before = guards.missing_parents(conn)
    objects_before = guards.rebuilt_objects(conn)
    schema_before = conn.execute("PRAGMA schema_version").fetchone()[0]
    dropped = set()
    for statement in parsed.body:
        if up and not parsed.foreign_keys_off:
            guards.refuse_cascading_drop(conn, name, statement)
        try:
            found = _run_statement(conn, statement, dropped)
        except sqlite3.Error as exc:
            first_line = statement.text.rstrip(";").splitlines()[0][:80]
            raise MigrationError(f"{name}:{statement.line}: {exc} (in: {first_line}); "
                                 f"{guards.advice(exc)}nothing of this migration was applied"
                                 ) from None
        if not conn.in_transaction:
            raise MigrationError(f"{name}:{statement.line}: this statement ended the "
                                 "migration's transaction; what ran before it is committed")
        if found and statement.pragma() and statement.pragma()[0] == "foreign_key_check":
            guards.refuse_dangling(name, statement.line, found)
    guards.refuse_missing_parents(conn, name, missing_before, parsed.body)
    guards.restore_lost_objects(conn, name, objects_before, parsed.body)
    guards.refuse_broken_references(conn, name, schema_before)
    if parsed.foreign_keys_off:
        guards.refuse_dangling(name, parsed.closing_line,
                               guards.foreign_key_check(conn, name, parsed.closing_line))
    guards.check_record(conn, migration, name, up, versions_before)
    if keep_rows:
        guards.refuse_lost_rows(name, rows_before, guards.row_counts(conn))


def _run_statement(conn, statement, dropped):
    """Execute one statement; `dropped` collects the tables the file has dropped so far.

    The RENAME of a rebuild (a new table given the name of one dropped before it) runs with
    legacy_alter_table on: the other tables' triggers and views that name the old table
    then name the new one, as they should, instead of failing the RENAME.
    """
    if table := statement.dropped("TABLE"):
        dropped.add(table.lower())
    renamed = statement.renamed_to()
    if not (renamed and renamed.lower() in dropped):
        return conn.execute(statement.text).fetchall()
    legacy = conn.execute("PRAGMA legacy_alter_table").fetchone()[0]
    conn.execute("PRAGMA legacy_alter_table = ON")
    try:
        return conn.execute(statement.text).fetchall()
    finally:
        conn.execute(f"PRAGMA legacy_alter_table = {legacy}")
