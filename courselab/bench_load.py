"""The bulk load measured in three parts: Python generating rows, SQLite taking them, and
SQLite's own ceilings on the same rows in the same keyed tables.

The load's SQLite side is the time spent inside its SQLite calls (timing.Stopwatch), its COMMIT
included, so the Python that builds the rows is not in it. It is compared with the same
pre-built batches executemany'd, and committed, into copies of the same tables (primary keys,
UNIQUE, CHECK and NOT NULL; no trigger, secondary index, search index or foreign key check):
the realistic ceiling of a load that keeps its keys. INSERT ... SELECT of those rows into a
third copy is SQLite alone, with no Python and no parameter binding.
"""

import tempfile
import time
from pathlib import Path

from . import bulkload, generate, migrate
from .db import connect, schema_sql, transaction
from .timing import Row, Stopwatch, clocked, duration


def keyed_tables(source, target, schema="main"):
    """Create in `target` (schema `schema`) the loaded tables exactly as `source` defines them."""
    for table in generate.COLUMNS:
        sql = schema_sql(source, table)
        target.execute(sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE {schema}.{table}", 1))


def keyed_ceiling(source, scale, seed, directory):
    """(Stopwatch of executemany into keyed tables, seconds of INSERT ... SELECT of the same)."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        conn = connect(Path(tmp) / "keyed.db")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(f"PRAGMA cache_size = -{bulkload.LOAD_CACHE_KIB}")
        keyed_tables(source, conn)
        watch = Stopwatch(conn)
        with transaction(watch):  # its COMMIT is timed too, as the load's is
            for table, batch in bulkload.batches(generate.rows(scale, seed)):
                watch.executemany(bulkload.insert_sql(table, generate.COLUMNS[table]), batch)
        conn.execute("ATTACH DATABASE ? AS again", (str(Path(tmp) / "again.db"),))
        keyed_tables(source, conn, "again")
        start = time.perf_counter()
        with transaction(conn):
            for table, columns in generate.COLUMNS.items():
                names = ", ".join(columns)
                conn.execute(f"INSERT INTO again.{table} ({names}) SELECT {names} FROM {table}")
        own = time.perf_counter() - start
        conn.close()
    return watch, own


def load_rows(scale, seed, db_path, workdir, progress):
    """Bulk-load the dataset into db_path and measure it against the ceilings: (conn, rows)."""
    next(generate.rows(scale, seed))  # warm up: Faker loads its locale on first use
    generation = clocked(lambda: sum(1 for _ in generate.rows(scale, seed)))
    conn = connect(db_path)
    migrate.migrate(conn)
    watch = Stopwatch(conn)
    load = clocked(lambda: sum(generate.generate(watch, scale, seed, progress=progress).values()))
    total = load.result
    ceiling, own = keyed_ceiling(conn, scale, seed, workdir)
    rate = total / watch.wall
    rows = [
        Row(f"generating {total:,} rows ({scale}), Python only", f"{total / generation.wall:,.0f} "
            "rows/s", "", "", f"{duration(generation.wall)}: seeded generators, no database; "
            f"the whole load took {duration(load.wall)} ({total / load.wall:,.0f} rows/s)"),
        Row("bulk load, SQLite side, vs executemany into the same keyed tables",
            f"{rate:,.0f} rows/s", f"{total / ceiling.wall:,.0f} rows/s",
            f"{ceiling.wall / watch.wall:.0%} of the ceiling",
            "ours also rebuilds the secondary indexes, counters and search index set-wise and "
            "checks foreign keys once; the ceiling has keys, no index, trigger or check "
            f"(CPU time: {ceiling.cpu / watch.cpu:.0%})"),
        Row("bulk load, SQLite side, vs INSERT ... SELECT into the same keyed tables",
            f"{rate:,.0f} rows/s", f"{total / own:,.0f} rows/s", f"{own / watch.wall:.0%} of it",
            "SQLite copying rows it already holds: no Python, no parameter binding"),
    ]
    return conn, rows
