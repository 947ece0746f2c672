"""Timing and reporting primitives of the benchmark: measure two variants, explain, format.

A measurement is the best of repeated runs (best_time), the median of statements each undone
(per_statement) or one run on the wall and CPU clocks (clocked). A result is a Row: ours
against a baseline, both as durations, their ratio, and why they differ, often the first
line where their query plans part (plan_difference). table() writes Rows as markdown.
"""

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass

from .queries import plan_lines

TIMEOUT_S = 120  # a query slower than this is stopped and reported as "> 120 s"


@dataclass
class Row:
    """One comparison: ours against a baseline, with what explains the difference."""

    comparison: str
    ours: str
    baseline: str
    ratio: str
    why: str


class Timeout(Exception):
    """A measured call ran past TIMEOUT_S."""


def best_time(conn, func, budget=0.2):
    """Best wall time of func(conn) over repeated runs within `budget` seconds.

    A call under a second runs at least three times (one slow run, a pause of the machine,
    must not count); a slower one runs once.

    Returns (seconds, sql): the SELECT the call ran, for its plan. Raises Timeout.
    """
    statements = []
    conn.set_trace_callback(statements.append)
    try:
        first = _timed(conn, func)
    finally:
        conn.set_trace_callback(None)
    best, spent, runs = first, first, 1
    while best < 1 and (runs < 3 or spent < budget):
        seconds = _timed(conn, func)
        best, spent, runs = min(best, seconds), spent + seconds, runs + 1
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    return best, (selects[-1] if selects else None)


def _timed(conn, func):
    deadline = time.perf_counter() + TIMEOUT_S
    conn.set_progress_handler(lambda: time.perf_counter() > deadline, 10_000)
    start = time.perf_counter()
    try:
        func(conn)
    except Exception as exc:
        if time.perf_counter() > deadline:
            raise Timeout from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)
    return time.perf_counter() - start


@contextmanager
def rolled_back(conn):
    """`with rolled_back(conn):` a transaction that is always rolled back (a scratch change)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")


def per_statement(conn, statements):
    """Median time of each (sql, params) run alone, each undone by ROLLBACK TO a savepoint.

    Every statement meets the database in the same state, so the cost measured is the
    cost at that size (a course's review count does not creep up); nothing is kept.
    """
    times = []
    with rolled_back(conn):
        for sql, params in statements:
            conn.execute("SAVEPOINT one")
            start = time.perf_counter()
            conn.execute(sql, params)
            times.append(time.perf_counter() - start)
            conn.execute("ROLLBACK TO one")
            conn.execute("RELEASE one")
    return statistics.median(times)


@dataclass
class Clocked:
    """What a call returned, and the wall and CPU seconds it took."""

    result: object
    wall: float
    cpu: float


def clocked(func):
    """Call func() once; return a Clocked with its result and the seconds it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return Clocked(result, time.perf_counter() - wall, time.process_time() - cpu)


def query_plan(conn, sql):
    """The detail lines of EXPLAIN QUERY PLAN for `sql` (a complete statement, no parameters)."""
    return plan_lines(conn, sql, indent=False)


def plan_difference(ours, baseline):
    """'`SEARCH ...` instead of `SCAN ...`': the first plan lines that differ."""
    gained = [line for line in ours if line not in baseline]
    lost = [line for line in baseline if line not in ours]
    if not gained and not lost:
        return f"same plan: `{ours[0]}`" if ours else "same plan"
    if not gained:
        return f"no `{lost[0]}`"
    return f"`{gained[0]}`" + (f" instead of `{lost[0]}`" if lost else "")


def duration(seconds):
    """0.000012 -> '12.0 µs', 0.0345 -> '34.5 ms', 2.5 -> '2.50 s'; None -> '> 120 s'."""
    if seconds is None:
        return f"> {TIMEOUT_S} s"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def speedup(ours, baseline):
    """How many times faster ours is: '120×', '1.3×', '0.8× (slower)'."""
    if baseline is None:
        return f"> {TIMEOUT_S / ours:,.0f}×"
    ratio = baseline / ours
    text = f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×" if ratio >= 0.1 else f"{ratio:.2f}×"
    return text + (" (slower)" if ratio < 0.95 else "")


def compare(label, ours_conn, base_conn, func, budget):
    """Time func on two connections and explain the difference with their plans."""
    ours, sql = best_time(ours_conn, func, budget)
    try:
        baseline, base_sql = best_time(base_conn, func, budget)
    except Timeout:
        baseline, base_sql = None, sql
    why = plan_difference(query_plan(ours_conn, sql), query_plan(base_conn, base_sql))
    return Row(label, duration(ours), duration(baseline), speedup(ours, baseline), why)


def table(rows):
    """Rows as a markdown table."""
    lines = ["| comparison | ours | baseline | ratio | why |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r.comparison} | {r.ours} | {r.baseline} | {r.ratio} | {r.why} |" for r in rows]
    return "\n".join(lines)


class Stopwatch:
    """A connection whose execute and executemany calls add up their wall and CPU seconds.

    Wraps a sqlite3 connection for code that takes one (generate.generate): what it spends
    in SQLite is then told apart from the Python around the calls (building the rows).
    """

    def __init__(self, conn):
        self.conn, self.wall, self.cpu = conn, 0.0, 0.0

    def __getattr__(self, name):
        return getattr(self.conn, name)

    def execute(self, *args):
        return self._timed(self.conn.execute, args)

    def executemany(self, *args):
        return self._timed(self.conn.executemany, args)

    def _timed(self, call, args):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return call(*args)
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu
