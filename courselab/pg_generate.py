"""The synthetic dataset on PostgreSQL: generate.rows() streamed in with COPY.

The rows are the very rows SQLite's `generate` loads (same scale, same seed). COPY is
PostgreSQL's bulk path; inside one transaction the user triggers of the loaded tables
(the counters of 009 and 017, the enrollment rule of 011) are disabled, so each row is not a
trigger call, while the foreign keys, which are internal triggers, stay enforced. Before
the commit the loaded tables are analyzed (the planner's statistics for the new rows), the
counters recomputed (pg_counters.recompute_counters) and the triggers enabled again; after
it, the tables holding the counters are analyzed again.
"""

from . import bulkload, generate, pg_counters, postgres
from .errors import CourselabError


def generate_into(conn, scale="class", seed=0):
    """Fill a PostgreSQL database at 010 or later with the `scale` dataset; {table: rows}."""
    if postgres.current_version(conn) < "010":
        raise CourselabError("generate needs a database migrated to 010 or later; "
                             "run `courselab migrate` first")
    if conn.execute("SELECT 1 FROM users WHERE id = 'u-0000001'").fetchone():
        raise CourselabError("this database already holds generated rows; "
                             "generate into a freshly migrated database")
    counts = dict.fromkeys(generate.COLUMNS, 0)
    cursor = conn.cursor()
    with conn.transaction():
        for table in generate.COLUMNS:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for table, batch in bulkload.batches(generate.rows(scale, seed)):
            counts[table] += _write(cursor, table, batch)
        # Statistics for the new rows first: planned for empty tables, the recompute's
        # subqueries per course would scan every enrollment once per course.
        conn.execute(f"ANALYZE {', '.join(generate.COLUMNS)}")
        pg_counters.recompute_counters(conn)
        for table in generate.COLUMNS:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    conn.execute("ANALYZE enrollments, courses")  # again: the counters they now hold
    return counts


def _write(cursor, table, batch):
    """Insert `batch` into `table`; return the number of rows actually inserted."""
    columns = ", ".join(generate.COLUMNS[table])
    if table == "tags":  # a shared vocabulary: the fixtures' tags may already be there
        cursor.executemany(f"INSERT INTO tags ({columns}) VALUES (%s, %s) "
                           "ON CONFLICT DO NOTHING", batch)
        return cursor.rowcount  # the rows of every statement, those skipped not counted
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in batch:
            copy.write_row(row)
    return len(batch)
