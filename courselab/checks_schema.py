"""The checks of schema_migrations against the migration files, and repair's guard on drift.

schema_migrations is what `courselab migrate` trusts: a row deleted, a version stored as a
blob, or the whole table dropped makes it apply a migration again or refuse to run. Each
problem says what is wrong and what to do. Repair writes through the database's triggers,
so it refuses to run on a schema with objects the migrations do not create or changed.
"""

from . import migrate, schema_drift
from .errors import CourselabError, MigrationError

FIX = ("migrations: restore the files the database was migrated with, or the rows of "
       "schema_migrations as each line says")

# What to run for a version stored as something other than text, by its type.
_AS_TEXT = {"blob": "CAST(version AS TEXT)", "integer": "printf('%03d', version)",
            "real": "printf('%03d', version)"}

# Drift that repair's writes cannot run into: what is missing fires nothing.
_HARMLESS = {("index", "missing"), ("trigger", "missing"), ("view", "missing")}


def migration_problems(conn, directory=None, ref=None):
    """Applied migrations that differ from their files, and versions missing or mistyped.

    `ref`: schema_drift.reference(conn, directory), if already computed.
    """
    odd = conn.execute("SELECT version, typeof(version) FROM schema_migrations "
                       "WHERE typeof(version) != 'text' ORDER BY rowid").fetchall() \
        if migrate.applied(conn) else []
    if odd:  # verify() would call them versions without a file
        return [f"version {version!r} is stored as {kind}, not as text such as '019': "
                f"UPDATE schema_migrations SET version = {_AS_TEXT.get(kind, '...')} "
                f"WHERE typeof(version) = '{kind}'" for version, kind in odd]
    try:
        migrations = migrate.discover(directory)
        migrate.verify(conn, migrations)
    except MigrationError as exc:
        return [str(exc)]
    recorded = migrate.applied(conn)
    if not recorded:
        ref = schema_drift.reference(conn, directory) if ref is None else ref
        if ref is None:
            return []  # nothing migrated yet
        return [f"schema_migrations records no version, yet the database holds courselab's "
                f"tables (its schema is closest to version {ref.version}); `courselab migrate` "
                "would apply 001 again: restore schema_migrations from a backup, or rebuild "
                "the database (`courselab migrate` a new file, then load the data)"]
    top = max(recorded)
    return [f"version {m.version} ({m.name}) is not applied but {top} is: if its tables are "
            "there (the schema check compares them), put its row back with INSERT INTO "
            f"schema_migrations (version, name) VALUES ('{m.version}', '{m.name}'); "
            "if not, rebuild the database"
            for m in migrations if m.version < top and m.version not in recorded]


def refuse_unsafe_drift(conn, ref):
    """Raise CourselabError if the schema has objects the migrations do not create or changed.

    Repair's UPDATEs fire every trigger on the tables they write: one it does not know
    could delete rows, and a changed table could replace them (ON CONFLICT REPLACE).
    A missing index, trigger or view is harmless to repair (and often why it is needed).
    """
    if ref is None:
        return
    unsafe = [d for d in schema_drift.differences(ref.objects, schema_drift.objects(conn))
              if (d[0], d[2]) not in _HARMLESS]
    if unsafe:
        shown = "; ".join(schema_drift.described(d) for d in unsafe[:3])
        more = f" and {len(unsafe) - 3} more" if len(unsafe) > 3 else ""
        raise CourselabError(f"--repair changed nothing: the schema differs from the "
                             f"migrations' ({shown}{more}), and repair's writes would run what "
                             "it does not know; drop or restore those objects (`courselab "
                             "check` lists them), then repair again")

