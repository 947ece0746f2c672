"""Load the CSV fixtures of `data/` into a database, all or nothing.

Each `<table>.csv` has a header of column names; an empty field is NULL. Tables are
loaded parents first (following the foreign keys), in one transaction: a bad row
stops the load with `file:line: reason`, and the database is left as it was.
CSV files whose table does not exist at the database's version are skipped.
"""

import csv
import sqlite3
from pathlib import Path

from . import resources
from .db import table_names, transaction
from .errors import FixtureError

DATA_DIR = resources.data_dir()


def load(conn, directory=None):
    """Load every `<table>.csv` of `directory` (default: the repo's data/).

    Returns {table: rows loaded} in load order. Raises FixtureError naming the file
    and line of the first bad row; nothing is loaded then.
    """
    directory = Path(directory or DATA_DIR)
    if not directory.is_dir():
        raise FixtureError(f"{directory}: no such fixtures directory")
    files = {p.stem: p for p in sorted(directory.glob("*.csv"))}
    if not files:
        raise FixtureError(f"{directory}: no .csv fixture files in it")
    tables = [t for t in load_order(conn) if t in files]
    loaded = {}
    with transaction(conn):
        for table in tables:
            loaded[table] = _load_file(conn, table, files[table])
    return loaded


def load_order(conn):
    """Tables sorted so that every table comes after the tables it references."""
    remaining = {t: _parents(conn, t) for t in table_names(conn) if t != "schema_migrations"}
    order = []
    while remaining:
        ready = sorted(t for t, parents in remaining.items() if parents <= set(order) | {t})
        if not ready:
            raise FixtureError(f"foreign keys form a cycle among {sorted(remaining)}")
        order += ready
        for t in ready:
            del remaining[t]
    return order


def _parents(conn, table):
    return {row[2] for row in conn.execute(f"PRAGMA foreign_key_list('{table}')")}


def _read_rows(path):
    """Yield (line, header, row) for a CSV file, with clear errors for bad encoding."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise FixtureError(f"{path.name}:{line}: not UTF-8 (byte {exc.object[exc.start]:#x}); "
                           "save the file as UTF-8") from None
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise FixtureError(f"{path.name}:1: empty file; the first line must name the columns")
        for row in reader:
            yield reader.line_num, header, row
    except csv.Error as exc:
        raise FixtureError(f"{path.name}:{reader.line_num}: malformed CSV ({exc})") from None


def _load_file(conn, table, path):
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info('{table}')")]
    count = 0
    for line, header, row in _read_rows(path):
        if count == 0:
            _check_header(path, table, header, columns)
        if not any(field.strip() for field in row):
            continue
        if len(row) != len(header):
            raise FixtureError(f"{path.name}:{line}: {len(row)} fields, expected {len(header)} "
                               f"({', '.join(header)})")
        values = [None if field == "" else field for field in row]
        try:
            conn.execute(f"INSERT INTO {table} ({', '.join(header)}) "
                         f"VALUES ({', '.join('?' * len(header))})", values)
        except sqlite3.IntegrityError as exc:
            reason = _explain(conn, table, dict(zip(header, values, strict=True)), exc)
            raise FixtureError(f"{path.name}:{line}: {reason}") from None
        count += 1
    return count


def _check_header(path, table, header, columns):
    unknown = [name for name in header if name not in columns]
    if unknown:
        raise FixtureError(f"{path.name}:1: unknown column {unknown[0]!r} for table {table} "
                           f"(it has: {', '.join(columns)})")
    if len(set(header)) != len(header):
        raise FixtureError(f"{path.name}:1: a column is named twice in the header")


def _explain(conn, table, row, exc):
    """Turn an IntegrityError into a reason that names the values at fault."""
    message = str(exc)
    if message.startswith("FOREIGN KEY"):
        for fk in conn.execute(f"PRAGMA foreign_key_list('{table}')"):
            parent, column, parent_column = fk[2], fk[3], fk[4]
            value = row.get(column)
            if value is not None and not conn.execute(
                    f"SELECT 1 FROM {parent} WHERE {parent_column} = ?", (value,)).fetchone():
                return f"{column} {value!r} has no row in {parent}; add it there first"
    if message.startswith("CHECK"):
        return f"{message}; values: " + ", ".join(f"{k}={v}" for k, v in row.items()
                                                   if k in message)
    if message.startswith("UNIQUE"):
        return f"duplicate: {message}"
    return message
