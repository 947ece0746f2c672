"""The same platform on PostgreSQL: connect, migrate, roll back and load with psycopg 3.

`--db postgresql://user@host:port/dbname` selects this module; a path stays SQLite.
The migrations are `migrations/postgresql/NNN_name.sql`, numbered and named like
SQLite's, and run under the same rules: one transaction per file (PostgreSQL's DDL is
transactional, so a failure undoes the whole file), the file's own BEGIN/COMMIT
stripped and any other transaction statement refused, each file recording exactly its
own version in `schema_migrations` with its checksum, edited applied files refused.
`pg_advisory_xact_lock` makes concurrent runners apply each version once.
"""

from functools import lru_cache

import sqlparse

from . import migrate
from .errors import CourselabError, DatabaseOpenError, MigrationError

MIGRATIONS_DIR = migrate.MIGRATIONS_DIR / "postgresql"
URL_PREFIXES = ("postgresql://", "postgres://")
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


def is_url(db):
    """True when `db` names a PostgreSQL server rather than a SQLite file."""
    return str(db).startswith(URL_PREFIXES)


def is_connection(conn):
    """True when `conn` is a psycopg connection (a PostgreSQL server), not sqlite3's."""
    return type(conn).__module__.startswith("psycopg")


def connect(url):
    """Open a psycopg connection in autocommit mode (transactions are explicit)."""
    try:
        import psycopg
    except ImportError:
        raise CourselabError("PostgreSQL needs psycopg 3: pip install 'psycopg[binary]'") from None
    try:
        return psycopg.connect(str(url), autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseOpenError(f"{url}: cannot connect to PostgreSQL ({reason})") from None


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


def verify(conn, migrations):
    """Refuse applied migrations that are unknown, renamed or edited since."""
    by_version = {m.version: m for m in migrations}
    for version, (name, checksum) in applied(conn).items():
        migration = by_version.get(version)
        if migration is None or migration.name != name:
            raise MigrationError(f"version {version} ({name}) is applied but its file is gone "
                                 "or renamed; restore it or roll back with the files that had it")
        if checksum is not None and checksum != migration.checksum:
            raise MigrationError(f"{migration.up.name} was edited after it was applied; restore "
                                 "it and put the change in a new migration")


def current_version(conn):
    """The highest applied version, '' when none is."""
    return max(applied(conn), default="")


def migrate_up(conn, directory=None, to=None, on_step=None):
    """Apply pending PostgreSQL migrations up to `to`; return those applied now."""
    migrations = migrate.discover(directory or MIGRATIONS_DIR)
    target = migrate.resolve_target(migrations, to)
    verify(conn, migrations)
    if target < current_version(conn):
        raise MigrationError(f"database is at {current_version(conn)}, above {target or 0}; "
                             "use rollback to go down")
    done = []
    for migration in migrations:
        if migration.version <= target and _run(conn, migration, up=True):
            done.append(migration)
            if on_step:
                on_step(migration)
    return done


def rollback(conn, directory=None, to=None, force=False, on_step=None):
    """Undo applied migrations newest first down to `to`; refuse to lose rows unless `force`."""
    migrations = migrate.discover(directory or MIGRATIONS_DIR)
    if to is None:
        raise MigrationError("rollback needs --to VERSION (0 undoes every migration)")
    target = migrate.resolve_target(migrations, to)
    verify(conn, migrations)
    undo = [m for m in reversed(migrations) if m.version > target and m.version in applied(conn)]
    missing = [m.up.name for m in undo if m.down is None]
    if missing:
        raise MigrationError(f"{missing[0]} cannot be rolled back: it has no .down.sql file")
    if not force:
        _refuse_data_loss(conn, undo)
    done = []
    for migration in undo:
        if _run(conn, migration, up=False):
            done.append(migration)
            if on_step:
                on_step(migration)
    return done


def _run(conn, migration, up):
    """Run one file in one transaction under the advisory lock; False if already done."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(CREATE_SCHEMA_MIGRATIONS)
        if (migration.version in applied(conn)) != (not up):
            return False
        _execute(conn, migration, up)
    return True


def _execute(conn, migration, up):
    """Run the statements of one file and check what it recorded, inside a transaction."""
    import psycopg

    path = migration.up if up else migration.down
    for line, statement in statements(path):
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            message = (exc.diag.message_primary or str(exc)).strip()
            raise MigrationError(f"{path.name}:{line}: {message} (in: "
                                 f"{statement.splitlines()[0][:80]}); nothing of this "
                                 "migration was applied") from None
    _check_record(conn, migration, path, up)


def _check_record(conn, migration, path, up):
    rows = dict(conn.execute("SELECT version, name FROM schema_migrations").fetchall())
    if up and rows.get(migration.version) != migration.name:
        raise MigrationError(f"{path.name}: must end with INSERT INTO schema_migrations "
                             f"(version, name) VALUES ('{migration.version}', '{migration.name}')")
    if not up and migration.version in rows:
        raise MigrationError(f"{path.name}: must end with DELETE FROM schema_migrations "
                             f"WHERE version = '{migration.version}'")
    if up:
        conn.execute("UPDATE schema_migrations SET checksum = %s WHERE version = %s",
                     (migration.checksum, migration.version))


def row_counts(conn):
    """{table: rows} of every ordinary table of the current schema."""
    tables = [name for (name,) in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename <> 'schema_migrations' ORDER BY tablename")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _refuse_data_loss(conn, undo):
    """Dry-run the down files in a transaction that is rolled back; refuse if rows go."""
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        before = row_counts(conn)
        for migration in undo:
            _execute(conn, migration, up=False)
        after = row_counts(conn)
    for table, count in before.items():
        lost = count - after.get(table, 0)
        if lost > 0:
            names = ", ".join(m.down.name for m in undo)
            raise MigrationError(f"{names} would delete {lost} rows of {table}; "
                                 "pass --force to roll back anyway")


def status(conn, directory=None):
    """[(migration, state)] with state 'applied', 'pending' or 'edited', as migrate.status."""
    recorded = applied(conn)
    rows = []
    for migration in migrate.discover(directory or MIGRATIONS_DIR):
        if migration.version not in recorded:
            state = "pending"
        elif recorded[migration.version][1] not in (None, migration.checksum):
            state = "edited"
        else:
            state = "applied"
        rows.append((migration, state))
    return rows
