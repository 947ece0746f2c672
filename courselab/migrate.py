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
import urllib.parse

from .db import BUSY_TIMEOUT_MS, apply_pragmas, transaction
from .errors import MigrationError
from .migration_files import MIGRATIONS_DIR as MIGRATIONS_DIR  # where callers look for it
from .migration_files import Migration, discover
from .migration_run import applied
from .migration_run import run as run_file


def verify(conn, migrations):
    """Raise MigrationError if applied migrations are unknown, renamed or edited since."""
    refuse_changed(applied(conn), migrations, Migration.matches)


def refuse_changed(recorded, migrations, matches):
    """verify's rule on {version: (name, checksum)}; `matches(migration, checksum)` says
    whether a stored checksum is the file's (PostgreSQL's runner stores only today's kind)."""
    by_version = {m.version: m for m in migrations}
    for version, (name, checksum) in recorded.items():
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(f"version {version} ({name}) is applied but has no file; "
                                 "restore its file or roll back with the migrations that had it")
        if name != migration.name:
            raise MigrationError(f"{migration.up.name}: version {version} was applied as "
                                 f"{version}_{name}.sql; give the file its old name back")
        if checksum is not None and not matches(migration, checksum):
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

    Unless `force`, first runs the down files on a temporary copy of the database, and refuses
    if any table would lose rows (dropped, deleted, cascaded): nothing changes then. What to
    undo is read under the write lock; a step finding a version above its own applied by
    another connection meanwhile stops the run. Returns the migrations this call undid (fewer
    when another connection undid some of them meanwhile).
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
    undo, copy = _plan_rollback(conn, migrations, target, dry=not force)
    if copy is not None:
        _dry_run(copy, undo)
    # Each file checks again under its own write lock (_run): another process may have moved.
    return _apply_each(conn, undo, up=False, keep_rows=not force, on_step=on_step)


def _apply_each(conn, migrations, up, keep_rows, on_step):
    """Run each file in turn (up or down); the ones this call ran, `on_step` told of each."""
    done = []
    for migration in migrations:
        if run_file(conn, migration, up, keep_rows):
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


def _plan_rollback(conn, migrations, target, dry):
    """(migrations to undo, newest first; a copy of the database to dry-run them on, or None).

    Decided under the write lock, from the versions applied now: a concurrent rollback may
    have undone some already (then there is less to do), a concurrent migrate applied more.
    The copy is taken under the same lock, so it is the state the list was read from.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        recorded = applied(conn)
        undo = [m for m in reversed(migrations) if m.version > target and m.version in recorded]
        for migration in undo:
            if migration.down is None:
                raise MigrationError(f"{migration.up.name} cannot be rolled back: no "
                                     f"{migration.up.stem}.down.sql beside it")
        path = conn.execute("PRAGMA database_list").fetchone()[2]
        copy = _copy(path) if dry and undo and path else None
    finally:
        conn.execute("ROLLBACK")
    if dry and undo and copy is None:  # in memory: no other connection can change it meanwhile
        copy = _copy(None, source=conn)
    return undo, copy


def _copy(path, source=None):
    """A private temporary copy of the database file at `path` (or of `source`), set up as ours.

    Read through a connection of its own: the caller's holds the write lock, and SQLite's backup
    through a connection holding it waits forever; other readers are not blocked by that lock.
    """
    copy = sqlite3.connect("", isolation_level=None)  # a temporary file, deleted on close
    reader = source or sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True,
                                       timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        reader.backup(copy)
        apply_pragmas(copy)
    except BaseException:
        copy.close()
        raise
    finally:
        if source is None:
            reader.close()
    return copy


def _dry_run(copy, undo):
    """Undo on the copy exactly as the real run will; refuse if a table would lose rows.

    Each file runs in its own transaction with its own foreign-key setting, as in the real run
    (one that turns foreign keys off must not hide another's cascade), and commits on the
    copy, so the next file sees what it did. The copy is deleted afterwards.
    """
    try:
        for migration in undo:
            run_file(copy, migration, up=False, keep_rows=True)
    finally:
        copy.close()


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
    return sorted(rows, key=lambda row: str(row[0].version))  # a version stored as a blob too
