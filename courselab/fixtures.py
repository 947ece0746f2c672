"""Load the CSV fixtures of `data/` into a database, all or nothing.

Each `<table>.csv` has a header of column names; an empty field is NULL. Tables are
loaded parents first (following the foreign keys), in one transaction: a bad row
stops the load with `file:line: reason`, and the database is left as it was.
A file for a table that a later migration creates is skipped (the database is not
there yet); any other file that names no table is refused, with the nearest name.

Counter columns (courses.lesson_count...) are refused, not loaded: the database's
triggers compute them from the rows loaded, so a value in the file is either the same
number or a wrong one, and adding it to what the triggers count doubles it. Refusing
says so; silently recomputing would hide a file that disagrees with its own rows.
"""

import csv
import difflib
import io
import re
import sqlite3
from pathlib import Path

from . import migrate, progress_counters, resources
from .checks import kept_counters
from .db import table_names, transaction
from .errors import FixtureError

DATA_DIR = resources.data_dir()

NO_TABLES = "this database has no tables to load into; run `courselab migrate` first"

# Tables that hold no fixture data of their own.
NOT_LOADED = {"schema_migrations": "the migration runner's own record",
              "courses_fts": "the search index, computed from courses"}


def load(conn, directory=None):
    """Load every `<table>.csv` of `directory` (default: the repo's data/).

    Returns {table: rows loaded} in load order. Raises FixtureError naming the file
    and line of the first bad row (or the file that cannot be loaded, or saying that
    the database has no tables yet); nothing is loaded then.
    """
    files = fixture_files(directory)
    order = load_order(conn)
    if not order:
        raise FixtureError(NO_TABLES)
    _refuse_unknown_files(files, order)
    tables = [t for t in order if t in files]
    loaded = {}
    with transaction(conn):
        for table in tables:
            loaded[table] = _load_file(conn, table, files[table])
    return loaded


def _refuse_unknown_files(files, tables):
    """A file must name a table of this database or of a later migration."""
    later = set()
    for migration in migrate.discover():
        later |= set(re.findall(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`\[]?(\w+)",
                                migration.up.read_text(encoding="utf-8"), re.I))
    for stem, path in files.items():
        if stem in NOT_LOADED:
            raise FixtureError(f"{path.name}: {stem} is {NOT_LOADED[stem]}, not loaded from "
                               "a file; delete this file")
        if stem not in tables and stem not in later:
            near = difflib.get_close_matches(stem, sorted(set(tables) | later), n=1)
            hint = f"; did you mean {near[0]}.csv?" if near else \
                f"; the tables are: {', '.join(tables)}"
            raise FixtureError(f"{path.name}: no table {stem} in this database or its "
                               f"migrations{hint}")


def fixture_files(directory=None):
    """{table: path} of the `<table>.csv` files of `directory` (default: the repo's data/).

    Raises FixtureError if the directory is missing or holds no .csv file, or if one of
    them is not a file (a folder, a link to nothing): found before anything is loaded.
    """
    directory = Path(directory or DATA_DIR)
    if not directory.is_dir():
        raise FixtureError(f"{directory}: no such fixtures directory")
    files = {p.stem: p for p in sorted(directory.glob("*.csv"))}
    if not files:
        raise FixtureError(f"{directory}: no .csv fixture files in it")
    for path in files.values():
        if path.is_dir():
            raise FixtureError(f"{path.name}: a folder, not a file; a fixture is one CSV file")
        if not path.is_file():
            what = ("a link to a file that does not exist" if path.is_symlink()
                    else "not a regular file")
            raise FixtureError(f"{path.name}: {what}; replace it with the CSV file")
    return files


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
    """Yield (line, row) after the header, line being where the row starts in the file.

    Returns the header first (a list; FixtureError if the file is empty). CRLF line
    endings, a UTF-8 BOM and newlines inside quoted fields are read as CSV means them.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FixtureError(f"{path.name}: cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FixtureError(f"{path.name}:{line}: not UTF-8 (byte {exc.object[exc.start]:#x}); "
                           "save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise FixtureError(f"{path.name}:1: empty file; the first line must name the columns")
        yield header
        end = reader.line_num
        for row in reader:
            yield end + 1, row
            end = reader.line_num
    except csv.Error as exc:
        raise FixtureError(f"{path.name}:{reader.line_num}: malformed CSV ({exc})") from None


def refuse_header(path, table, header, columns):
    """Refuse a header naming a column not in `columns` (the table's), or one twice (also
    PostgreSQL's loader's)."""
    unknown = [name for name in header if name not in columns]
    if unknown:
        raise FixtureError(f"{path.name}:1: unknown column {unknown[0]!r} for table {table} "
                           f"(it has: {', '.join(columns)})")
    if len(set(header)) != len(header):
        raise FixtureError(f"{path.name}:1: a column is named twice in the header")


def _load_file(conn, table, path):
    rows = _read_rows(path)
    header = next(rows)
    _check_header(conn, path, table, header)
    insert = (f"INSERT INTO {table} ({', '.join(header)}) "
              f"VALUES ({', '.join('?' * len(header))})")
    count = 0
    for line, row in rows:
        if not row:
            continue  # an empty line: no record in CSV
        if not any(field.strip() for field in row):
            raise FixtureError(f"{path.name}:{line}: a row of blanks (spaces or empty fields "
                               "only); delete the line or fill it in")
        if len(row) != len(header):
            raise FixtureError(f"{path.name}:{line}: {len(row)} fields, expected {len(header)} "
                               f"({', '.join(header)})")
        values = [None if field == "" else field for field in row]
        try:
            conn.execute(insert, values)
        except sqlite3.DatabaseError as exc:
            reason = _explain(conn, table, dict(zip(header, values, strict=True)), exc)
            raise FixtureError(f"{path.name}:{line}: {reason}") from None
        count += 1
    return count


def _check_header(conn, path, table, header):
    refuse_header(path, table, header, [row[1] for row in conn.execute(
        f"PRAGMA table_info('{table}')")])
    computed = [c.column for c in kept_counters(conn) if c.table == table]
    if progress_counters.kept(conn):
        computed += sorted(column for owner, column in progress_counters.COLUMNS if owner == table)
    counters = [name for name in computed if name in header]
    if counters:
        raise FixtureError(f"{path.name}:1: {', '.join(counters)}: counter column(s) the "
                           "database computes from the rows loaded; remove them from the "
                           "file (loading them would count every row twice)")


def _explain(conn, table, row, exc):
    """Turn a refused INSERT into a reason that names the values at fault."""
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
