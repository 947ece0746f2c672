"""Bulk loading: millions of (table, row) pairs into a migrated database, in one transaction.

Per-row triggers are not the way to load millions of rows. The counter triggers update a
course for every lesson, enrollment and review inserted, the search triggers index each
course on its own, and every secondary index is updated row by row, in random order. So
loading() turns foreign keys off (one PRAGMA foreign_key_check before the commit instead of
a lookup per row), and inside the transaction suspend() saves the SQL of the triggers that
only maintain derived data and of the loaded tables' secondary indexes, then drops them; the
rows go in with executemany, in batches of BATCH_ROWS; restore() rebuilds the indexes once
over all the data, recomputes the counters and the search indexes set-wise, and recreates
the triggers before the commit.

Which triggers are suspended is read from the schema, not from a list of migrations: a
trigger on a loaded table whose every statement updates a counter that restore() recomputes
(or writes to an external-content FTS index it rebuilds) is suspended; one that updates any
other column is refused (the load could not put that column right); rules (RAISE) and
triggers writing elsewhere keep firing.
"""

import re
from contextlib import contextmanager

from . import checks, progress_counters
from .db import schema_sql, transaction
from .errors import CourselabError

BATCH_ROWS = 10_000
LOAD_CACHE_KIB = 256 * 1024  # SQLite page cache during a load: index builds sort in memory


class BulkLoadError(CourselabError):
    """A bulk load cannot run on this schema, or its rows break a foreign key."""


def batches(stream, size=BATCH_ROWS):
    """Group (table, row) pairs into (table, [rows]) lists of at most `size` rows.

    Buffers are flushed all together, in the order their tables first appeared
    (parents first), when one is full or a new table appears: a row never reaches
    the database before the rows it references.
    """
    buffers = {}
    for table, row in stream:
        if table not in buffers:
            yield from _flush(buffers)
            buffers[table] = []
        buffer = buffers[table]
        buffer.append(row)
        if len(buffer) >= size:
            yield from _flush(buffers)
    yield from _flush(buffers)


def _flush(buffers):
    for table, buffer in buffers.items():
        if buffer:
            yield table, buffer
            buffers[table] = []


def insert_sql(table, columns, keep_existing=False):
    """INSERT INTO table (columns) VALUES (?, ...).

    With `keep_existing`, a row whose key is already in the table is skipped
    (ON CONFLICT DO NOTHING) instead of failing the load.
    """
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    return sql + " ON CONFLICT DO NOTHING" if keep_existing else sql


def recomputed_columns():
    """{(table, column)} of the counters that restore() recomputes set-wise."""
    return {("courses", column) for column in checks.COUNTER_TRUTH} | progress_counters.COLUMNS


def rebuilt_indexes(conn, tables):
    """Names of the external-content FTS5 tables whose content is one of `tables`.

    The content table may be named bare or quoted any way SQLite allows: 'x', "x", [x], `x`.
    """
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                        "AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")
    return [name for name, sql in rows
            if (m := re.search(r"content\s*=\s*['\"\[`]?(\w+)", sql)) and m.group(1) in tables]


def _writes(trigger_sql):
    """[(kind, table, columns)] of the statements in a trigger's body."""
    body = re.split(r"\bBEGIN\b", re.sub(r"--[^\n]*", "", trigger_sql), maxsplit=1,
                    flags=re.I)[1]
    while (flat := re.sub(r"\([^()]*\)", "", body)) != body:  # drop (...) groups, innermost first
        body = flat
    writes = []
    for statement in body.split(";"):
        if m := re.match(r"\s*UPDATE\s+(?:OR\s+\w+\s+)?(\w+)\s+SET\s+(.*?)(?:\bWHERE\b|\bFROM\b|$)",
                         statement, re.I | re.S):
            writes.append(("update", m.group(1), re.findall(r"(?:^|,)\s*(\w+)\s*=", m.group(2))))
        elif m := re.match(r"\s*(?:INSERT|REPLACE|DELETE)\b.*?\b(?:INTO|FROM)\s+(\w+)",
                           statement, re.I | re.S):
            writes.append(("insert", m.group(1), []))
    return writes


def derived_triggers(conn, tables):
    """Names of the triggers on `tables` that only maintain what restore() recomputes.

    Raises BulkLoadError for a trigger that updates a column restore() cannot recompute.
    """
    counters, indexes = recomputed_columns(), set(rebuilt_indexes(conn, tables))
    names = ", ".join(f"'{table}'" for table in tables)
    derived = []
    for name, sql in conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                  f"AND tbl_name IN ({names}) ORDER BY name"):
        writes = _writes(sql)
        unknown = [f"{table}.{column}" for kind, table, columns in writes if kind == "update"
                   for column in columns if (table, column) not in counters]
        if unknown:
            raise BulkLoadError(f"trigger {name} keeps {', '.join(unknown)} up to date, which a "
                                "bulk load cannot recompute; teach courselab.checks to compute "
                                "it, or drop the trigger before loading")
        if writes and all(kind == "update" or table in indexes for kind, table, _ in writes):
            derived.append(name)
    return derived


def suspend(conn, tables):
    """Drop the derived-data triggers and the secondary indexes of `tables`; return their SQL.

    Must run inside the load's transaction, with restore() before its commit. Building an
    index once over sorted data is far cheaper than updating it row by row in random order,
    and is as safe: a UNIQUE index rebuilt from its SQL still refuses a duplicate, and the
    transaction then rolls back everything, the dropped triggers and indexes included.
    """
    names = ", ".join(f"'{table}'" for table in tables)
    indexes = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           f"AND sql IS NOT NULL AND tbl_name IN ({names}) "
                           f"ORDER BY name").fetchall()
    triggers = [(name, schema_sql(conn, name)) for name in derived_triggers(conn, tables)]
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")
    counters = {column for _table, column in recomputed_columns()}
    late = [sql for _name, sql in indexes if counters & set(re.findall(r"\w+", sql))]
    return {"indexes": [sql for _name, sql in indexes if sql not in late], "late": late,
            "triggers": [sql for _name, sql in triggers],
            "fts": rebuilt_indexes(conn, tables)}


def restore(conn, saved):
    """Rebuild what suspend() dropped, then make counters and search indexes exact, set-wise.

    An index on a counter is built after the counters are set, not updated as they are.
    """
    for sql in saved["indexes"]:
        conn.execute(sql)
    checks.recompute_counters(conn)
    for sql in saved["late"]:
        conn.execute(sql)
    for fts in saved["fts"]:
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    for sql in saved["triggers"]:
        conn.execute(sql)


def check_foreign_keys(conn):
    """Raise BulkLoadError naming the first row whose foreign key points at nothing."""
    row = conn.execute("PRAGMA foreign_key_check").fetchone()
    if row:
        raise BulkLoadError(f"{row[0]} rowid {row[1]}: no row in {row[2]} for its foreign key; "
                            "nothing was loaded")


@contextmanager
def loading(conn, tables):
    """`with loading(conn, tables):` one transaction in which rows go into `tables` fast.

    Foreign keys are off for the load (the pragma is a no-op inside a transaction, so it is
    set before BEGIN and put back after the end) and checked once before the commit;
    triggers and indexes are suspended and restored around the block. On any error nothing
    is kept.
    """
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction(conn):
            saved = suspend(conn, tables)
            yield
            restore(conn, saved)
            if foreign_keys:
                check_foreign_keys(conn)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {foreign_keys}")
