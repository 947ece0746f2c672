"""Running one PostgreSQL migration file, up or down, in one transaction, and its record.

The PostgreSQL twin of migration_run and guards: `statements` reads a file and refuses a
stray transaction statement before anything runs; `run` takes the advisory lock, runs the
statements one by one, refuses a statement that turns foreign keys or triggers off (the
setting would outlive the file: SQLite's runner refuses `PRAGMA foreign_keys` there for the
same reason), checks that the file recorded (or removed) exactly its own version and
stores its checksum. Any failure rolls the whole file back, settings included.
"""

from functools import lru_cache

import sqlparse

from . import guards
from .errors import MigrationError

# Any constant: every courselab runner takes this one advisory lock while it migrates.
LOCK_KEY = 0x636F7572  # "cour"

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT,
    applied_at TEXT NOT NULL
               DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
)"""

_TRANSACTION_WORDS = ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT",
                      "RELEASE", "PREPARE")

# What decides whether foreign keys and triggers fire: the session's replication role
# ('replica' skips both) and the triggers set not to fire ('D' disabled, 'R' replica only).
SESSION_STATE = ("SELECT current_setting('session_replication_role'), "
                 "ARRAY(SELECT tgrelid::regclass::text || '.' || tgname FROM pg_trigger "
                 "WHERE tgenabled IN ('D', 'R') ORDER BY 1)")


def statements(path):
    """[(line, statement)] of a PostgreSQL migration, without its opening BEGIN and COMMIT.

    Refuses, before anything runs, any other statement that would end or split the
    runner's transaction.
    """
    found = list(_split(path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")))
    if found and _word(found[0][1]) in ("BEGIN", "START"):
        found = found[1:]
    if found and _word(found[-1][1]) in ("COMMIT", "END"):
        found = found[:-1]
    for line, code in found:
        if _word(code) in _TRANSACTION_WORDS:
            raise MigrationError(f"{path.name}:{line}: `{code.rstrip(';')}` would end the "
                                 "runner's transaction; only the opening BEGIN and the final "
                                 "COMMIT may control it")
    return found


@lru_cache(maxsize=256)
def _split(text):
    """((line, statement), ...) of SQL text, comments stripped.

    Cached by the text: sqlparse is slow, and every migrate and check reads every file.
    """
    found, offset = [], 0
    for raw in sqlparse.split(text):
        offset = text.index(raw, offset)
        code = sqlparse.format(raw, strip_comments=True).strip()
        if code:
            first = offset + raw.index(code.split(None, 1)[0])
            found.append((text.count("\n", 0, first) + 1, code))
        offset += len(raw)
    return tuple(found)


def _word(statement):
    return statement.split(None, 1)[0].rstrip(";").upper()


def applied(conn):
    """{version: (name, checksum)} recorded in the server's schema_migrations."""
    if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
        return {}
    rows = conn.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    return {version: (name, checksum) for version, name, checksum in rows}


def run(conn, migration, up):
    """Run one file in one transaction under the advisory lock; False if already done."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(CREATE_SCHEMA_MIGRATIONS)
        if (migration.version in applied(conn)) != (not up):
            return False
        execute(conn, migration, up)
    return True


def execute(conn, migration, up):
    """Run the statements of one file and check what it did, inside a transaction."""
    import psycopg

    path = migration.up if up else migration.down
    before = _versions(conn)
    state = conn.execute(SESSION_STATE).fetchone()
    for line, statement in statements(path):
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            message = (exc.diag.message_primary or str(exc)).strip()
            raise MigrationError(f"{path.name}:{line}: {message} (in: "
                                 f"{statement.splitlines()[0][:80]}); nothing of this "
                                 "migration was applied") from None
        _refuse_checks_off(conn, f"{path.name}:{line}", state)
    _check_record(conn, migration, path, up, before)


def _refuse_checks_off(conn, where, before):
    """Refuse a statement after which foreign keys or triggers no longer fire as before.

    `SET session_replication_role = replica` outlives the file's transaction (a plain SET
    lasts for the session): every later file would run without foreign keys. A trigger
    disabled stays disabled. Checked after each statement, so any spelling is caught.
    """
    role, disabled = conn.execute(SESSION_STATE).fetchone()
    if role != before[0]:
        raise MigrationError(f"{where}: sets session_replication_role to {role}, which turns "
                             "off foreign keys and triggers for every statement after it; a "
                             "migration runs with them on: remove it; nothing of this "
                             "migration was applied")
    new = sorted(set(disabled) - set(before[1]))
    if new:
        raise MigrationError(f"{where}: disables trigger {new[0]} (a foreign key's or a "
                             "counter's); a migration keeps every trigger firing: remove the "
                             "DISABLE TRIGGER; nothing of this migration was applied")


def _versions(conn):
    """{version: row} of schema_migrations."""
    return {row[0]: tuple(row) for row in conn.execute("SELECT * FROM schema_migrations")}


def _check_record(conn, migration, path, up, before):
    """Refuse unless the file added (up) or removed (down) exactly its own row; store its
    checksum."""
    guards.refuse_wrong_record(migration, path.name, up, before, _versions(conn))
    if up:
        conn.execute("UPDATE schema_migrations SET checksum = %s WHERE version = %s",
                     (migration.checksum, migration.version))
