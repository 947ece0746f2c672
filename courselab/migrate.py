"""The migration runner: apply and undo numbered SQL files, each in one transaction.

A migration is `NNN_name.sql` (up) with `NNN_name.down.sql` beside it. Each file is
written for a person with the `sqlite3` shell: `BEGIN; ... INSERT INTO schema_migrations
...; COMMIT;`. The runner strips the file's own BEGIN/COMMIT, runs the statements one by
one inside its own BEGIN IMMEDIATE, checks that the file recorded (or removed) itself,
stores the file's checksum, and commits. Any failure rolls the whole file back.
"""

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import resources
from .db import transaction
from .errors import MigrationError

MIGRATIONS_DIR = resources.migrations_dir()
UP_PATTERN = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
DOWN_PATTERN = re.compile(r"^(\d{3})_([a-z0-9_]+)\.down\.sql$")
TRANSACTION_CONTROL = re.compile(
    r"^(BEGIN( +(DEFERRED|IMMEDIATE|EXCLUSIVE))?( +TRANSACTION)?|COMMIT|END)( +TRANSACTION)?$",
    re.IGNORECASE)

_LEADING_NOISE = re.compile(r"(\s|--[^\n]*)*")

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)"""


@dataclass(frozen=True)
class Migration:
    """One migration: its version, name and the paths of its up and down (or None) files."""

    version: str
    name: str
    up: Path
    down: Path | None

    @property
    def checksum(self):
        """SHA-256 of the up file: an edit after it was applied changes it."""
        return hashlib.sha256(self.up.read_bytes()).hexdigest()


def discover(directory=None):
    """List the migrations in `directory`, in order, refusing gaps, duplicates and strays."""
    directory = Path(directory or MIGRATIONS_DIR)
    if not directory.is_dir():
        raise MigrationError(f"{directory}: no such migrations directory")
    ups, downs = {}, {}
    for path in sorted(directory.glob("*.sql")):
        match = DOWN_PATTERN.match(path.name) or UP_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: not a migration name; use NNN_verb_noun.sql "
                                 "and NNN_verb_noun.down.sql")
        found = downs if path.name.endswith(".down.sql") else ups
        version = match.group(1)
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is already used by "
                                 f"{found[version].name}; give it the next free number")
        found[version] = path
    migrations = []
    for index, version in enumerate(sorted(ups), start=1):
        if version != f"{index:03d}":
            raise MigrationError(f"{ups[version].name}: expected version {index:03d} here; "
                                 "migration numbers must run 001, 002, ... without gaps")
        migrations.append(Migration(version, UP_PATTERN.match(ups[version].name).group(2),
                                    ups[version], downs.get(version)))
    for version, path in downs.items():
        if version not in ups or path.name != ups[version].stem + ".down.sql":
            raise MigrationError(f"{path.name}: no matching up migration")
    return migrations


def split_statements(sql):
    """Split SQL text into [(line, statement)]: complete statements, trigger bodies whole.

    `line` is the 1-based line of the statement's first SQL word, for error messages.
    """
    statements, start = [], 0
    for index, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start:index + 1]):
            statements.append((start, sql[start:index + 1]))
            start = index + 1
    statements.append((start, sql[start:]))
    found = []
    for offset, text in statements:
        if _strip_comments(text):
            first_word = offset + _LEADING_NOISE.match(text).end()
            found.append((sql.count("\n", 0, first_word) + 1, text.strip()))
    return found


def _strip_comments(sql):
    return re.sub(r"--[^\n]*", "", sql).strip().rstrip(";").strip()


def _body(path):
    """[(line, statement)] of a migration file without its own BEGIN/COMMIT."""
    return [(line, s) for line, s in split_statements(path.read_text(encoding="utf-8"))
            if not TRANSACTION_CONTROL.match(_strip_comments(s))]


def ensure_table(conn):
    """Create schema_migrations if it is missing (the runner's own table, before 001)."""
    conn.execute(CREATE_SCHEMA_MIGRATIONS)


def applied(conn):
    """{version: (name, checksum)} of the migrations recorded in the database."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone():
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
        if checksum is not None and checksum != migration.checksum:
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
    ensure_table(conn)
    verify(conn, migrations)
    if target < current_version(conn):
        raise MigrationError(f"database is at {current_version(conn)}, above {target or 0}; "
                             "use rollback to go down")
    done = []
    for migration in migrations:
        if migration.version > target:
            break
        if _run(conn, migration, up=True):
            done.append(migration)
            if on_step:
                on_step(migration)
    return done


def rollback(conn, directory=None, to=None, force=False, on_step=None):
    """Undo applied migrations, newest first, down to version `to` (0 for all).

    Refuses, before changing anything, to drop a table that holds rows unless `force`.
    Returns the migrations undone.
    """
    migrations = discover(directory)
    if to is None:
        raise MigrationError("rollback needs --to VERSION (0 undoes every migration)")
    target = resolve_target(migrations, to)
    ensure_table(conn)
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
        _refuse_data_loss(conn, undo)
    done = []
    for migration in undo:
        if _run(conn, migration, up=False):
            done.append(migration)
            if on_step:
                on_step(migration)
    return done


def _refuse_data_loss(conn, migrations):
    for migration in migrations:
        for _line, statement in _body(migration.down):
            match = re.match(r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)", statement, re.IGNORECASE)
            if not match or _is_virtual(conn, match.group(1)):
                continue
            table = match.group(1)
            count = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            if count:
                raise MigrationError(f"{migration.down.name} would delete {count} rows of {table}; "
                                     "pass --force to roll back anyway")


def _is_virtual(conn, table):
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return row is None or row[0].upper().startswith("CREATE VIRTUAL TABLE")


def _run(conn, migration, up):
    """Run one file in one transaction; False if another process already did it."""
    path = migration.up if up else migration.down
    statements = _body(path)
    with transaction(conn):
        # Re-read under the write lock: a concurrent runner may have done this already.
        if (migration.version in applied(conn)) != (not up):
            return False
        for line, statement in statements:
            try:
                conn.execute(statement)
            except sqlite3.Error as exc:
                first_line = _strip_comments(statement).splitlines()[0]
                raise MigrationError(f"{path.name}:{line}: {exc} (in: {first_line[:80]}); "
                                     "nothing of this migration was applied") from None
        _check_record(conn, migration, path, up)
    return True


def _check_record(conn, migration, path, up):
    row = conn.execute("SELECT name FROM schema_migrations WHERE version = ?",
                       (migration.version,)).fetchone()
    if up:
        if row is None or row[0] != migration.name:
            raise MigrationError(f"{path.name}: must end with INSERT INTO schema_migrations "
                                 f"(version, name) VALUES ('{migration.version}', "
                                 f"'{migration.name}')")
        conn.execute("UPDATE schema_migrations SET checksum = ? WHERE version = ?",
                     (migration.checksum, migration.version))
    elif row is not None:
        raise MigrationError(f"{path.name}: must end with DELETE FROM schema_migrations "
                             f"WHERE version = '{migration.version}'")


def status(conn, directory=None):
    """[(migration, state)] with state 'applied', 'pending' or 'edited'."""
    migrations = discover(directory)
    recorded = applied(conn)
    rows = []
    for migration in migrations:
        if migration.version not in recorded:
            state = "pending"
        elif recorded[migration.version][1] not in (None, migration.checksum):
            state = "edited"
        else:
            state = "applied"
        rows.append((migration, state))
    return rows
