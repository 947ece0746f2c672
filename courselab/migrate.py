"""The migration runner: apply and undo numbered SQL files, each in one transaction.

A migration is `NNN_name.sql` (up) with `NNN_name.down.sql` beside it (migration_files). Each is
written for a person with the `sqlite3` shell: `BEGIN; ... INSERT INTO schema_migrations
...; COMMIT;`, with `PRAGMA foreign_keys=OFF;` before BEGIN for SQLite's table rebuild.
The runner reads the file (sqlfile.parse refuses stray transaction statements), turns
foreign keys off if the file asks, runs the statements one by one inside its own
BEGIN IMMEDIATE, checks the foreign keys if they were off, checks that the file recorded
(or removed) exactly its own version, stores the file's checksum, commits, and turns
foreign keys back on. Any failure rolls the whole file back.
"""

import sqlite3
from contextlib import contextmanager

from . import guards, sqlfile
from .db import exists, transaction
from .errors import MigrationError
from .migration_files import MIGRATIONS_DIR as MIGRATIONS_DIR  # where callers look for it
from .migration_files import Migration, discover

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


def verify(conn, migrations):
    """Raise MigrationError if applied migrations are unknown, renamed or edited since."""
    by_version = {m.version: m for m in migrations}
    for version, (name, checksum) in applied(conn).items():
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(f"version {version} ({name}) is applied but has no file; "
                                 "restore its file or roll back with the migrations that had it")
        if name != migration.name:
            raise MigrationError(f"{migration.up.name}: version {version} was applied as "
                                 f"{version}_{name}.sql; give the file its old name back")
        if checksum is not None and not migration.matches(checksum):
            raise MigrationError(f"{migration.up.name} was edited after it was applied; restore "
                                 "it and put the change in a new migration")


def resolve_target(migrations, to):
    """Turn a --to value ('7', '007', '0') into a version string ('' for none applied)."""
    if to is None:
        return migrations[-1].version if migrations else ""
    text = str(to).strip()
    if text.isdigit() and int(text) == 0:
        return ""
    known = [m.version for m in migrations]
    version = f"{int(text):03d}" if text.isdigit() else text
    if version not in known:
        span = f"{known[0]}..{known[-1]}" if known else "none"
        raise MigrationError(f"unknown migration version {text!r}: known versions are {span} "
                             "(or 0 for none)")
    return version


def current_version(conn):
    """The highest applied version, '' when none is."""
    return max(applied(conn), default="")


def migrate(conn, directory=None, to=None, on_step=None):
    """Apply pending migrations in order up to `to` (default: the last one).

    Each runs in its own transaction; the first failure stops the run with a
    MigrationError naming the file and statement, leaving that migration unapplied.
    `on_step(migration)` is called after each one is applied. Returns those applied.
    """
    migrations = discover(directory)
    target = resolve_target(migrations, to)
    _refuse_open_transaction(conn)
    verify(conn, migrations)
    if target < current_version(conn):
        raise MigrationError(f"database is at {current_version(conn)}, above {target or 0}; "
                             "use rollback to go down")
    _upgrade_checksums(conn, migrations)
    pending = [m for m in migrations if m.version <= target]
    return _apply_each(conn, pending, up=True, keep_rows=False, on_step=on_step)


def rollback(conn, directory=None, to=None, force=False, on_step=None):
    """Undo applied migrations, newest first, down to version `to` (0 for all).

    Unless `force`, first runs the down files in a transaction that is rolled back, and
    refuses if any table would lose rows (dropped, deleted, cascaded): nothing changes then.
    Returns the migrations undone.
    """
    migrations = discover(directory)
    if to is None:
        raise MigrationError("rollback needs --to VERSION (0 undoes every migration)")
    target = resolve_target(migrations, to)
    _refuse_open_transaction(conn)
    verify(conn, migrations)
    if target > current_version(conn):
        raise MigrationError(f"database is at {current_version(conn) or 0}, below {target}; "
                             "use migrate to go up")
    undo = [m for m in reversed(migrations) if m.version > target and m.version in applied(conn)]
    for migration in undo:
        if migration.down is None:
            raise MigrationError(f"{migration.up.name} cannot be rolled back: no "
                                 f"{migration.up.stem}.down.sql beside it")
    if not force:
        _dry_run(conn, undo)
    # Rows are counted again in each file's own transaction: some may have come since the dry run.
    return _apply_each(conn, undo, up=False, keep_rows=not force, on_step=on_step)


def _apply_each(conn, migrations, up, keep_rows, on_step):
    """Run each file in turn (up or down); the ones this call ran, `on_step` told of each."""
    done = []
    for migration in migrations:
        if _run(conn, migration, up, keep_rows):
            done.append(migration)
            if on_step:
                on_step(migration)
    return done


def _refuse_open_transaction(conn):
    if conn.in_transaction:
        raise MigrationError("the connection is inside a transaction; commit or roll back "
                             "before migrating (a migration needs its own)")


def _upgrade_checksums(conn, migrations):
    """Store today's checksum where the previous runner stored a file's raw-bytes one."""
    recorded = applied(conn)
    old = [m for m in migrations if m.version in recorded
           and recorded[m.version][1] not in (None, m.checksum)]
    if old:
        with transaction(conn):
            conn.executemany("UPDATE schema_migrations SET checksum = ? WHERE version = ?",
                             [(m.checksum, m.version) for m in old])


def _dry_run(conn, undo):
    """Run the down files in one transaction, rolled back; refuse if rows would be lost."""
    files = [sqlfile.parse(m.down) for m in undo]
    with _foreign_keys(conn, off=any(f.foreign_keys_off for f in files)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for migration, parsed in zip(undo, files, strict=True):
                _execute(conn, migration, parsed, up=False, keep_rows=True)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")


def _run(conn, migration, up, keep_rows=False):
    """Run one file in one transaction; False if another process already did it."""
    parsed = sqlfile.parse(migration.up if up else migration.down)
    with _foreign_keys(conn, off=parsed.foreign_keys_off), transaction(conn):
        # Re-read under the write lock: a concurrent runner may have done this already.
        if (migration.version in applied(conn)) != (not up):
            return False
        ensure_table(conn)  # in the first migration's transaction: gone if it fails
        _execute(conn, migration, parsed, up, keep_rows)
        if up:
            conn.execute("UPDATE schema_migrations SET checksum = ? WHERE version = ?",
                         (migration.checksum, migration.version))
    return True


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
    dropped = set()
    for statement in parsed.body:
        if up and not parsed.foreign_keys_off:
            guards.refuse_cascading_drop(conn, name, statement)
        try:
            found = _run_statement(conn, statement, dropped)
        except sqlite3.Error as exc:
            first_line = statement.text.rstrip(";").splitlines()[0][:80]
            raise MigrationError(f"{name}:{statement.line}: {exc} (in: {first_line}); "
                                 "nothing of this migration was applied") from None
        if not conn.in_transaction:
            raise MigrationError(f"{name}:{statement.line}: this statement ended the "
                                 "migration's transaction; what ran before it is committed")
        if found and statement.pragma() and statement.pragma()[0] == "foreign_key_check":
            guards.refuse_dangling(name, statement.line, found)
    guards.refuse_missing_parents(conn, name, missing_before)
    guards.restore_lost_objects(conn, name, objects_before, parsed.body)
    if parsed.foreign_keys_off:
        guards.refuse_dangling(name, parsed.closing_line,
                               conn.execute("PRAGMA foreign_key_check").fetchall())
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


def status(conn, directory=None):
    """[(migration, state)] in version order; reads only (open `conn` read-only).

    state: 'applied', 'pending', 'edited', 'renamed', 'unverified' (recorded without a
    checksum, e.g. by the sqlite3 shell) or 'missing' (recorded, no file; up is None).
    """
    migrations = discover(directory)
    recorded = applied(conn)
    rows = []
    for migration in migrations:
        if migration.version not in recorded:
            state = "pending"
        elif recorded[migration.version][0] != migration.name:
            state = "renamed"
        elif recorded[migration.version][1] is None:
            state = "unverified"
        elif not migration.matches(recorded[migration.version][1]):
            state = "edited"
        else:
            state = "applied"
        rows.append((migration, state))
    known = {m.version for m in migrations}
    rows += [(Migration(v, name, None, None), "missing")
             for v, (name, _) in recorded.items() if v not in known]
    return sorted(rows, key=lambda row: row[0].version)
