"""The platform's data on PostgreSQL: COPY loading and search (the checks: pg_checks).

What SQLite's fixtures and search promise, with PostgreSQL's tools: a bad row fails the
whole load with `file:line` (the file's own line) and the reason; any text is safe to
search for, and a database before 010 says to migrate.
"""

import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from . import postgres
from .errors import CourselabError, FixtureError
from .fixtures import _read_rows as read_rows  # SQLite's reader: the same lines, the same errors
from .fixtures import refuse_header
from .pg_checks import folds_words
from .pg_checks import repair as repair  # the checks' entry points, where engines look for them
from .pg_checks import run_checks as run_checks
from .pg_checks import schema as schema
from .pg_counters import counter_drift as counter_drift
from .pg_scratch import scratch_database as scratch_database
from .search import words


def load_order(conn):
    """Tables of the current schema, each after the tables its foreign keys reference."""
    graph = {t: set() for t in postgres.row_counts(conn)}
    for child, parent in conn.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"):
        graph.setdefault(child, set()).add(parent)
    try:
        return [t for t in TopologicalSorter(graph).static_order() if t in graph]
    except CycleError as exc:
        raise FixtureError(f"foreign keys form a cycle among {exc.args[1]}") from None


def load(conn, directory):
    """COPY every `directory/<table>.csv` into its table, parents first, in one transaction.

    Returns {table: rows}. The header is checked against the table's columns first; a row
    PostgreSQL refuses fails the whole load with FixtureError `file:line: reason`, the line
    being the row's in the file (an empty field is NULL, as SQLite's loader reads it).
    """
    loaded = {}
    with conn.transaction():
        for table in load_order(conn):
            path = Path(directory) / f"{table}.csv"
            if path.exists():
                _copy_file(conn, table, path)
                loaded[table] = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    return loaded


def _copy_file(conn, table, path):
    import psycopg
    from psycopg import sql

    rows = read_rows(path)
    header = [name.strip() for name in next(rows)]
    _check_header(conn, path, table, header)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, header)))
    lines = []  # the file's line of each row sent: COPY counts the rows it was sent
    try:
        with conn.cursor().copy(statement) as copy:
            for line, row in rows:
                if row:  # an empty line: no record in CSV
                    lines.append(line)
                    copy.write_row([None if field == "" else field for field in row])
    except psycopg.Error as exc:
        found = re.search(r"\bline (\d+)", exc.diag.context or "")
        number = int(found[1]) if found else 0
        where = f"{path.name}:{lines[number - 1]}" if 0 < number <= len(lines) else path.name
        detail = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
        raise FixtureError(f"{where}: {exc.diag.message_primary or exc}{detail}") from None


def _check_header(conn, path, table, header):
    """Refuse, as SQLite's loader does, a header naming a column the table does not have."""
    refuse_header(path, table, header, [name for (name,) in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = %s ORDER BY ordinal_position", (table,))])


# One tsquery: the words, each read by plainto_tsquery (never syntax), joined by AND; a word
# with no lexeme for PostgreSQL's parser (an emoji) adds nothing. A scalar subquery, so the
# planner can take it as a value for the GIN index, as it does a constant. From 020 on, each
# word is read through search_text() first, as the column reads the text (accents dropped).
TYPED = ("(SELECT string_agg(q::text, ' & ')::tsquery FROM unnest(%(words)s::text[]) AS w, "
         "plainto_tsquery('simple', {word}) AS q WHERE numnode(q) > 0)")
SEARCH_SQL = """
SELECT id, title, difficulty, avg_rating, enrollment_count
FROM courses
WHERE search @@ {typed}
  AND is_published = 1
ORDER BY ts_rank(search, {typed}) DESC, id
LIMIT %(limit)s
"""


def search_sql(conn):
    """SEARCH_SQL for this database: typed words folded as its search column folds the text."""
    typed = TYPED.format(word="search_text(w)" if folds_words(conn) else "w")
    return SEARCH_SQL.format(typed=typed)


def search_courses(conn, text, limit=20):
    """Published courses matching every word of `text`, best ts_rank first.

    The text is cut into words where SQLite's search cuts it (search.words), so both
    engines look for the same words: `data-analysis`, `query.plans` or `http://sql` are two
    words each, where PostgreSQL's parser alone would read one compound, host or protocol
    token. Each word is read by plainto_tsquery: operators, quotes and parentheses typed by
    a user are never syntax; a NUL (which PostgreSQL's text cannot hold) separates words.
    Text with no word gives []. Before 010 (no search column): CourselabError saying to
    migrate, as on SQLite.
    """
    found = list(dict.fromkeys(words((text or "").replace("\x00", " "))))
    if not conn.execute("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('courses') "
                        "AND attname = 'search' AND NOT attisdropped").fetchone():
        if not found:
            return []
        raise CourselabError("no search index in this database; migrate to 010 first")
    if not found:
        return []
    return conn.execute(search_sql(conn), {"words": found, "limit": limit}).fetchall()
