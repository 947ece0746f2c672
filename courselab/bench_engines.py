"""SQLite against PostgreSQL in one run: the same dataset loaded, the same dashboard read.

`engine_rows(url, scale, seed, directory)` generates the same rows (same scale, same seed)
into a fresh SQLite file and into the PostgreSQL database at `url` (migrated first; it must
be empty), each engine's bulk path (bulkload; COPY), then times the dashboard's five reports
on both. "ours" is PostgreSQL, the baseline SQLite: a ratio above 1× means PostgreSQL is
faster. Both run on this machine, so the comparison is of engines, not of servers.
"""

import time
from pathlib import Path

from . import dashboard, generate, migrate, pg_generate, postgres
from .db import connect
from .timing import Row, duration, speedup


def _best(report, conn, runs=3):
    """Best wall time of `report(conn)` over `runs` runs."""
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        report(conn)
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    return best


def _load(sqlite, pg, scale, seed):
    start = time.perf_counter()
    generate.generate(sqlite, scale, seed)
    on_sqlite = time.perf_counter() - start
    start = time.perf_counter()
    pg_generate.generate_into(pg, scale, seed)
    on_pg = time.perf_counter() - start
    return Row(f"load of the {scale} dataset: PostgreSQL (COPY) vs SQLite (bulk load)",
               duration(on_pg), duration(on_sqlite), speedup(on_pg, on_sqlite),
               "the same rows; both suspend their counter triggers and recompute them")


def engine_rows(url, scale="large", seed=0, directory=None):
    """The load and each dashboard report, PostgreSQL against SQLite, as Rows."""
    sqlite = connect(Path(directory or ".") / "engines.db")
    migrate.migrate(sqlite)
    pg = postgres.connect(url)
    try:
        postgres.migrate_up(pg)
        return [_load(sqlite, pg, scale, seed), *dashboard_rows(pg, sqlite)]
    finally:
        pg.close()
        sqlite.close()


def dashboard_rows(pg, sqlite):
    """Each dashboard report and all five, timed on two databases holding the same rows."""
    rows = []
    total_pg = total_sqlite = 0.0
    for heading, report in dashboard.REPORTS:
        on_pg, on_sqlite = _best(report, pg), _best(report, sqlite)
        total_pg, total_sqlite = total_pg + on_pg, total_sqlite + on_sqlite
        rows.append(Row(f"dashboard, {heading.lower()}: PostgreSQL vs SQLite",
                        duration(on_pg), duration(on_sqlite), speedup(on_pg, on_sqlite),
                        "the same SQL text and the same rows on both"))
    rows.append(Row("dashboard, all five reports: PostgreSQL vs SQLite", duration(total_pg),
                    duration(total_sqlite), speedup(total_pg, total_sqlite),
                    "a client-server round trip per report against an in-process call"))
    return rows
