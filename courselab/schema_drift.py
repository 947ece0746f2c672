"""Schema drift: the live schema against the one its applied migrations create.

A table, index, trigger or view dropped or altered by hand (in the sqlite3 shell, say)
breaks a promise of the migrations without touching a row: a missing counter trigger
lets the counters drift, a missing index makes a query scan. The reference is a fresh
in-memory database migrated from the same migrations directory to the database's version:
the highest version recorded in schema_migrations that has a file or, when none is
recorded, the version whose schema is closest to the live one (then a problem says so).
"""

import hashlib
import re
import sqlite3
from dataclasses import dataclass

from . import migrate
from .db import connect
from .errors import MigrationError

# The runner's own bookkeeping table, not a migration's object.
IGNORED = ("schema_migrations",)

# The schema after each version ({version: objects()}), by the exact files (version, SHA-256).
_built = {}


@dataclass(frozen=True)
class Reference:
    """The schema the live one is compared with, at `version`; `note` says why that one."""

    version: str
    objects: dict
    note: str = ""  # '' when schema_migrations records exactly the versions up to `version`


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


def _as_text(version):
    """A recorded version as text: a blob's bytes decoded, a number zero-padded ('019')."""
    if isinstance(version, bytes):
        return version.decode("utf-8", "replace")
    return f"{version:03d}" if isinstance(version, int) else str(version)


def reference(conn, directory=None):
    """The Reference to compare `conn` with, or None (nothing migrated, or no migrations)."""
    try:
        migrations = migrate.discover(directory)
    except MigrationError:
        return None
    built = _schemas(migrations, directory)
    recorded = set(migrate.applied(conn))  # a version stored as a blob differs from its text
    known = [v for v in map(_as_text, recorded) if v in built]
    if known:
        top = max(known)
        expected = {m.version for m in migrations if m.version <= top}
        note = "" if recorded == expected else (
            f"compared with the schema of version {top}, the highest recorded version with a "
            f"file (schema_migrations does not record exactly the versions up to {top})")
        return Reference(top, built[top], note)
    live = objects(conn)
    if not live or not built:
        return None
    # Fewest differences; of equals, the highest version (versions sort as text: '009').
    top = min(sorted(built, reverse=True), key=lambda v: len(differences(built[v], live)))
    if not live.keys() & built[top].keys():
        return None  # none of courselab's objects: not a courselab database
    return Reference(top, built[top], f"schema_migrations records no version: compared with "
                     f"the schema of version {top}, the closest to this database's")


def _schemas(migrations, directory):
    """{version: objects()} after each migration, built once per set of files.

    A file that fails ends the list there: the versions below it can still be compared.
    """
    key = tuple((m.version, hashlib.sha256(m.up.read_bytes()).hexdigest()) for m in migrations)
    if key not in _built:
        schemas = {}
        fresh = connect(":memory:")
        try:
            migrate.migrate(fresh, directory,
                            on_step=lambda m: schemas.__setitem__(m.version, objects(fresh)))
        except (MigrationError, sqlite3.DatabaseError):
            pass
        finally:
            fresh.close()
        _built[key] = schemas
    return _built[key]


def differences(expected, live):
    """[(type, name, 'missing' | 'extra' | 'differs')] between two objects() maps, sorted."""
    found = []
    for key in sorted(expected.keys() | live.keys()):
        if key not in live:
            found.append((*key, "missing"))
        elif key not in expected:
            found.append((*key, "extra"))
        elif live[key] != expected[key]:
            found.append((*key, "differs"))
    return found


def described(difference):
    """'trigger audit is not created by any applied migration', and so on."""
    type_, name, kind = difference
    return {"missing": f"{type_} {name} is missing",
            "extra": f"{type_} {name} is not created by any applied migration",
            "differs": f"{type_} {name} differs from what the migrations create"}[kind]


def drift(conn, directory=None, ref=None):
    """['index idx_x is missing', ...]: how the live schema differs from the migrations'.

    When the reference is not the recorded version (see reference()), the first line says
    which version it is. `ref`: a reference() already computed.
    """
    ref = reference(conn, directory) if ref is None else ref
    if ref is None:
        return []
    problems = [described(d) for d in differences(ref.objects, objects(conn))]
    return [ref.note, *problems] if problems and ref.note else problems
