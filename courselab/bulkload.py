"""Bulk loading: millions of (table, row) pairs into a migrated database, in one transaction.

Per-row triggers are not the way to load millions of rows. 009's counter triggers update a
course for every lesson, enrollment and review inserted, 010's search triggers index each
course on its own, and every secondary index is updated row by row, in random order. So,
inside the load's transaction, suspend() saves the SQL of the triggers of 009 and 010 and of
the loaded tables' secondary indexes, then drops them; the rows go in with executemany, in
batches of BATCH_ROWS; restore() rebuilds the indexes once over all the data, recomputes the
counters and the FTS index set-wise, and recreates the triggers before the commit. Triggers
of later migrations stay and fire. raw_limit() times the same rows into bare tables.
"""

import re
import tempfile
import time
from pathlib import Path

from . import checks, migrate
from .db import connect, transaction

BATCH_ROWS = 10_000
LOAD_CACHE_KIB = 256 * 1024  # SQLite page cache during a load: index builds sort in memory


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


def bulk_triggers(conn):
    """Names of the triggers that 009 and 010 create and that exist in this database."""
    names = []
    for migration in migrate.discover():
        if migration.version in ("009", "010"):
            names += re.findall(r"CREATE\s+TRIGGER\s+(\w+)", migration.up.read_text(), re.I)
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                               "WHERE type = 'trigger'")}
    return [name for name in names if name in existing]


def suspend(conn, tables):
    """Drop 009/010 triggers and the secondary indexes of `tables`; return their SQL.

    Must run inside the load's transaction, with restore() before its commit. Building an
    index once over sorted data is far cheaper than updating it row by row in random order,
    and is as safe: a UNIQUE index rebuilt from its SQL still refuses a duplicate, and the
    transaction then rolls back everything, the dropped triggers and indexes included.
    """
    names = ", ".join(f"'{table}'" for table in tables)
    indexes = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           f"AND sql IS NOT NULL AND tbl_name IN ({names}) "
                           f"ORDER BY name").fetchall()
    triggers = [(name, conn.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                    (name,)).fetchone()[0]) for name in bulk_triggers(conn)]
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")
    return {"indexes": [sql for _name, sql in indexes],
            "triggers": [sql for _name, sql in triggers]}


def restore(conn, saved):
    """Rebuild what suspend() dropped, then make counters and search index exact, set-wise."""
    for sql in saved["indexes"]:
        conn.execute(sql)
    checks.recompute_counters(conn)
    conn.execute("INSERT INTO courses_fts(courses_fts) VALUES ('rebuild')")  # 010 is applied
    for sql in saved["triggers"]:
        conn.execute(sql)


def raw_limit(stream, columns, directory=None):
    """Time plain executemany of `stream` into bare tables; return (rows, seconds).

    `columns` is {table: column names}. The tables have those columns and no key, index,
    constraint, trigger or FTS: the fastest SQLite can take these rows on this machine,
    generation included when `stream` is lazy (generate.rows()).
    """
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        conn = connect(Path(tmp) / "raw.db")
        for table, names in columns.items():
            conn.execute(f"CREATE TABLE {table} ({', '.join(names)})")
        conn.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
        total, start = 0, time.perf_counter()
        with transaction(conn):
            for table, batch in batches(stream, BATCH_ROWS):
                conn.executemany(insert_sql(table, columns[table]), batch)
                total += len(batch)
        seconds = time.perf_counter() - start
        conn.close()
    return total, seconds
