"""The same platform on PostgreSQL: connect, migrate, roll back and load with psycopg 3.

`--db postgresql://user@host:port/dbname` selects this module; a path stays SQLite.
The migrations are `migrations/postgresql/NNN_name.sql`, numbered and named like
SQLite's, and run under the same rules: one transaction per file (PostgreSQL's DDL is
transactional, so a failure undoes the whole file), the file's own BEGIN/COMMIT
stripped and any other transaction statement refused, each file recording exactly its
own version in `schema_migrations` with its checksum, edited applied files refused.
`pg_advisory_xact_lock` makes concurrent runners apply each version once. Running one
file and checking what it did is pg_run's.
"""

from . import migrate
from .errors import CourselabError, DatabaseOpenError, MigrationError
from .migration_files import Migration
from .pg_run import LOCK_KEY, applied, execute, run
from .pg_run import statements as statements  # callers read a file's statements here

MIGRATIONS_DIR = migrate.MIGRATIONS_DIR / "postgresql"
URL_PREFIXES = ("postgresql://", "postgres://")


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
        raise DatabaseOpenError(f"{url}: cannot connect to PostgreSQL ({reason(exc)})") from None


def reason(exc):
    """libpq's message of a psycopg error as one line: the cause and its hint, both kept."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = "; ".join(lines).removeprefix("connection failed: ").replace("FATAL:  ", "")
    return text or type(exc).__name__


def verify(conn, migrations):
    """Refuse applied migrations that are unknown, renamed or edited since (as migrate.verify)."""
    migrate.refuse_changed(applied(conn), migrations,
                           lambda migration, checksum: checksum == migration.checksum)


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
        if migration.version <= target and run(conn, migration, up=True):
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
    if target > current_version(conn):
        raise MigrationError(f"database is at {current_version(conn) or 0}, below {target}; "
                             "use migrate to go up")
    undo = [m for m in reversed(migrations) if m.version > target and m.version in applied(conn)]
    missing = [m.up.name for m in undo if m.down is None]
    if missing:
        raise MigrationError(f"{missing[0]} cannot be rolled back: it has no .down.sql file")
    if not force:
        _refuse_data_loss(conn, undo)
    done = []
    for migration in undo:
        if run(conn, migration, up=False):
            done.append(migration)
            if on_step:
                on_step(migration)
    return done


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
            execute(conn, migration, up=False)
        after = row_counts(conn)
    for table, count in before.items():
        lost = count - after.get(table, 0)
        if lost > 0:
            names = ", ".join(m.down.name for m in undo)
            raise MigrationError(f"{names} would delete {lost} rows of {table}; "
                                 "pass --force to roll back anyway")


def status(conn, directory=None):
    """[(migration, state)] in version order, with migrate.status's states: 'applied',
    'pending', 'edited', 'renamed', 'unverified' (recorded without a checksum) or 'missing'
    (recorded, no file; its up is None)."""
    migrations = migrate.discover(directory or MIGRATIONS_DIR)
    recorded = applied(conn)
    rows = []
    for migration in migrations:
        name, checksum = recorded.get(migration.version, (None, None))
        if migration.version not in recorded:
            state = "pending"
        elif name != migration.name:
            state = "renamed"
        elif checksum is None:
            state = "unverified"
        else:
            state = "edited" if checksum != migration.checksum else "applied"
        rows.append((migration, state))
    known = {m.version for m in migrations}
    rows += [(Migration(v, name, None, None), "missing")
             for v, (name, _) in recorded.items() if v not in known]
    return sorted(rows, key=lambda row: row[0].version)
