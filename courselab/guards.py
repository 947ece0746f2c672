"""What a migration must not do, checked inside its transaction before it commits.

Each `refuse_*` raises MigrationError with one line naming the file (and line) and what
to do; the runner then rolls the migration back, so the database stays as it was. One
omission is mended instead of refused: restore_lost_objects() creates again the triggers and
indexes a table rebuild dropped and forgot (refusing, the same way, one that no longer fits).
"""

import re
import sqlite3

from .db import exists, table_names
from .errors import MigrationError


def refuse_cascading_drop(conn, name, statement):
    """Refuse DROP TABLE of a parent with rows while foreign keys are ON and children have rows.

    SQLite's DROP TABLE deletes the rows first, so ON DELETE CASCADE empties the children:
    the data loss of a table rebuild written without `PRAGMA foreign_keys=OFF`.
    """
    table = statement.dropped()
    if table is None or not conn.execute("PRAGMA foreign_keys").fetchone()[0]:
        return
    if not exists(conn, table) or not _count(conn, table):
        return
    for child, column in _children(conn, table):
        rows = conn.execute(f"SELECT COUNT(*) FROM {_quote(child)} WHERE {_quote(column)} "
                            "IS NOT NULL").fetchone()[0]
        if rows:
            raise MigrationError(
                f"{name}:{statement.line}: DROP TABLE {table} with foreign keys on would delete "
                f"or change the {rows} rows of {child} that reference it; for a table rebuild "
                "put PRAGMA foreign_keys=OFF; before BEGIN, as SQLite's procedure does")


def refuse_dangling(name, line, violations):
    """Refuse when PRAGMA foreign_key_check found rows: (table, rowid, parent, fkid) each."""
    if not violations:
        return
    table, rowid, parent, _ = violations[0]
    same = sum(1 for v in violations if v[0] == table and v[2] == parent)
    more = f" (and {len(violations) - same} more rows elsewhere)" if len(violations) > same else ""
    raise MigrationError(
        f"{name}:{line}: foreign key check failed: {same} row(s) of {table} reference no row "
        f"of {parent}{more} (first: rowid {rowid}); keep those {parent} rows or delete the "
        f"{table} rows in the migration; nothing of this migration was applied")


def missing_parents(conn):
    """{(child, parent)} for foreign keys whose parent table does not exist."""
    tables = {t.lower() for (t,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {(child, parent) for child in tables for parent, _ in _parents(conn, child)
            if parent.lower() not in tables}


def refuse_missing_parents(conn, name, before, statements):
    """Refuse when the migration left a foreign key pointing at a table that is gone."""
    new = sorted(missing_parents(conn) - before)
    if not new:
        return
    child, parent = new[0]
    renamed = {s.renamed_to().lower() for s in statements if s.renamed_to()}
    drop = next((s for s in statements if (s.dropped() or "").lower() == parent.lower()), None)
    if drop is None or parent.lower() in renamed:
        raise MigrationError(
            f"{name}: afterwards {child} has a foreign key to {parent}, which does not exist "
            "(renaming a table rewrites the references to it: create the new table, copy, "
            "drop the old one and rename the new one, in SQLite's order)")
    children = sorted({c for c, p in new if p == parent})
    raise MigrationError(
        f"{name}:{drop.line}: DROP TABLE {parent} leaves {', '.join(children)} with a foreign "
        f"key to it; drop or rebuild {'that table' if len(children) == 1 else 'those tables'} "
        f"first, or keep {parent}; nothing of this migration was applied")


def foreign_key_check(conn, name, line):
    """PRAGMA foreign_key_check's rows; MigrationError (file:line) on a foreign key mismatch."""
    try:
        return conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.OperationalError as exc:
        raise MigrationError(f"{name}:{line}: {exc}; {advice(exc)}nothing of this migration "
                             "was applied") from None


def advice(exc):
    """What to do about a SQLite error that is not self-explanatory ('' if it is)."""
    if "foreign key mismatch" in str(exc):
        return ("a foreign key must reference its parent's PRIMARY KEY or UNIQUE columns: keep "
                "them so in the new table; ")
    return ""


def refuse_broken_references(conn, name, schema_before):
    """Refuse when a trigger or view names a table or column that no longer exists.

    SQLite checks a trigger or view only when it runs: a trigger left naming a dropped table
    makes every write to its own table fail later. An ALTER TABLE ... RENAME with
    legacy_alter_table off makes SQLite resolve every trigger and view of the schema and fail
    on the first that does not fit; renaming a scratch table, inside the migration's
    transaction, is that check: exact, and a few milliseconds. Skipped when the file changed
    no schema (schema_version): then nothing it did can have broken one.
    """
    if conn.execute("PRAGMA schema_version").fetchone()[0] == schema_before:
        return
    conn.execute("PRAGMA legacy_alter_table = OFF")  # the runner resets it after the file anyway
    conn.execute(f"CREATE TABLE {_PROBE} (x)")
    try:
        conn.execute(f"ALTER TABLE {_PROBE} RENAME TO {_PROBE}_renamed")
    except sqlite3.OperationalError as exc:
        found = re.match(r"error in (\w+) (.+?)(?: after rename)?: (.*)", str(exc))
        what, reason = (f"{found[1]} {found[2]}", found[3]) if found else ("a trigger or view",
                                                                            str(exc))
        raise MigrationError(
            f"{name}: afterwards {what} fails ({reason}); drop it or create it again to fit, in "
            "the migration (renaming the old table first makes triggers and views follow it: "
            "create the new table, copy, drop the old one and rename the new one, in SQLite's "
            "order); nothing of this migration was applied") from None
    conn.execute(f"DROP TABLE {_PROBE}_renamed")


_PROBE = "courselab_schema_probe"


def refuse_lost_rows(name, before, after):
    """Refuse when a table has fewer rows than before (dropped tables have none)."""
    lost = {t: n - after.get(t, 0) for t, n in before.items() if n > after.get(t, 0)}
    if lost:
        table = max(lost, key=lambda t: (lost[t], t))
        others = sum(lost.values()) - lost[table]
        also = f" (and {others} rows of other tables)" if others else ""
        raise MigrationError(f"{name} would delete {lost[table]} rows of {table}{also}; "
                             "pass --force to roll back anyway")


def rebuilt_objects(conn):
    """{(type, name): (table, sql)} of the triggers and indexes a rebuild must create again."""
    return {(kind, name): (table, sql) for kind, name, table, sql in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE type IN ('trigger', 'index') AND sql IS NOT NULL")}


def restore_lost_objects(conn, name, before, statements):
    """Create again the triggers and indexes that a table rebuild dropped with the old table.

    DROP TABLE takes the table's triggers and indexes with it; SQLite's rebuild procedure
    creates them again (its step 8). A file that forgets one would lose no row, but a trigger
    keeping a counter, a copy or a search index in step would stop firing, and nothing would
    say so: the runner creates each again from its SQL, unless the file dropped it by name.
    Raises MigrationError when one no longer fits the new table.
    """
    named = {(kind.lower(), statement.dropped(kind).lower()) for statement in statements
             for kind in ("TRIGGER", "INDEX") if statement.dropped(kind)}
    tables = {t.lower() for t in table_names(conn)}
    after = {(kind, obj.lower()) for kind, obj in rebuilt_objects(conn)}  # names ignore case
    lost = sorted((table, kind, obj, sql) for (kind, obj), (table, sql) in before.items()
                  if (kind, obj.lower()) not in after and (kind, obj.lower()) not in named
                  and table.lower() in tables)
    for table, kind, obj, sql in lost:
        try:
            conn.execute(sql)
        except sqlite3.Error as exc:
            raise MigrationError(
                f"{name}: DROP TABLE {table} also dropped its {kind} {obj}, which does not fit "
                f"the new {table} ({exc}): create it anew before COMMIT (step 8 of SQLite's "
                f"rebuild), or DROP {kind.upper()} {obj} first if it should go; nothing of this "
                "migration was applied") from None


def row_counts(conn):
    """{table: rows} for the ordinary tables other than schema_migrations."""
    return {t: _count(conn, t) for t in table_names(conn) if t != "schema_migrations"}


def versions(conn):
    """{version: row} of schema_migrations ({} before it exists)."""
    if not exists(conn, "schema_migrations"):
        return {}
    return {row[0]: tuple(row) for row in conn.execute("SELECT * FROM schema_migrations")}


def check_record(conn, migration, name, up, before):
    """Refuse unless the file added (up) or removed (down) exactly its own row."""
    refuse_wrong_record(migration, name, up, before, versions(conn))


def refuse_wrong_record(migration, name, up, before, after):
    """check_record's rule, on schema_migrations' {version: row} before and after the file
    (PostgreSQL's runner reads them its own way)."""
    own = migration.version
    insert = f"INSERT INTO schema_migrations (version, name) VALUES ('{own}', '{migration.name}')"
    delete = f"DELETE FROM schema_migrations WHERE version = '{own}'"
    if up and (own not in after or after[own][1] != migration.name):
        raise MigrationError(f"{name}: must end with {insert}")
    if not up and own in after:
        raise MigrationError(f"{name}: must end with {delete}")
    others = sorted(v for v in set(before) | set(after)
                    if v != own and before.get(v) != after.get(v))
    if others:
        raise MigrationError(f"{name}: also changes the row of version {', '.join(others)} in "
                             f"schema_migrations; a migration records only itself: "
                             f"{insert if up else delete}")


def _quote(name):
    """An identifier quoted for SQL text, its own double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def _count(conn, table):
    return conn.execute(f"SELECT COUNT(*) FROM {_quote(table)}").fetchone()[0]


def _parents(conn, table):
    """[(parent table, child column)] of a table's foreign keys."""
    return [(row[2], row[3]) for row in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})")]


def _children(conn, table):
    """[(child table, column)] of the foreign keys that reference `table`."""
    return [(child, column) for child in table_names(conn) if child.lower() != table.lower()
            for parent, column in _parents(conn, child) if parent.lower() == table.lower()]
