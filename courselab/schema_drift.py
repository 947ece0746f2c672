"""Schema drift: the live schema against the one its applied migrations create.

A table, index, trigger or view dropped or altered by hand (in the sqlite3 shell, say)
breaks a promise of the migrations without touching a row: a missing counter trigger
lets the counters drift, a missing index makes a query scan. The reference is a fresh
in-memory database migrated to the same version from the same migrations directory.
"""

import hashlib
import re

from . import migrate
from .db import connect
from .errors import MigrationError

# The runner's own bookkeeping table, not a migration's object.
IGNORED = ("schema_migrations",)

# Reference schemas already built, by the exact files (version, SHA-256) they ran.
_built = {}


def objects(conn):
    """{(type, name): normalised sql} of the schema, without SQLite's internals.

    The shadow tables of a virtual table (courses_fts_data...) are left out: they come
    and go with it, and FTS5 writes their SQL itself.
    """
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master "
                        "WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL").fetchall()
    virtual = [name for _type, name, sql in rows if sql.upper().startswith("CREATE VIRTUAL")]
    return {(type_, name): _normalised(sql) for type_, name, sql in rows
            if name not in IGNORED and not any(name.startswith(v + "_") for v in virtual)}


def _normalised(sql):
    # sqlite_master keeps the text as written; only runs of whitespace are not meaningful.
    return re.sub(r"\s+", " ", sql).strip()


def expected_objects(conn, directory=None):
    """objects() of a fresh database migrated like `conn`, or None if it cannot be built.

    None when the applied versions have a gap or a missing file: the migrations check
    reports those, and a fresh database would not match the live one anyway.
    """
    recorded = migrate.applied(conn)
    if not recorded:
        return None
    try:
        migrations = migrate.discover(directory)
    except MigrationError:
        return None
    top = max(recorded)
    used = tuple((m.version, hashlib.sha256(m.up.read_bytes()).hexdigest())
                 for m in migrations if m.version <= top)
    if {version for version, _digest in used} != set(recorded):
        return None
    if used not in _built:
        fresh = connect(":memory:")
        try:
            migrate.migrate(fresh, directory, to=top)
            _built[used] = objects(fresh)
        finally:
            fresh.close()
    return _built[used]


def drift(conn, directory=None):
    """['index idx_x is missing', ...]: how the live schema differs from the migrations'."""
    expected = expected_objects(conn, directory)
    if expected is None:
        return []
    live = objects(conn)
    problems = []
    for key in sorted(expected.keys() | live.keys()):
        type_, name = key
        if key not in live:
            problems.append(f"{type_} {name} is missing")
        elif key not in expected:
            problems.append(f"{type_} {name} is not created by any applied migration")
        elif live[key] != expected[key]:
            problems.append(f"{type_} {name} differs from what the migrations create")
    return problems
