"""The benchmark: every figure is a ratio of two variants measured side by side in one run.

`run(scale)` builds the dataset once (bench_load: generation, the load's SQLite side, and
its ceilings), then compares, on that data: the application and dashboard queries with and
without the indexes of 008 and 015 (dropped in a copy), FTS5 against LIKE, denormalized
counters against aggregates, the dashboard on the progress counters against the base-table
queries, and (bench_writes) the triggers of 009/010 against the course text's versions and
what the progress counters cost a progress insert.
Results are markdown tables; absolute times are shown only beside their comparison.
"""

import re
import tempfile
from pathlib import Path

from . import checks, dashboard, migrate, queries
from .bench_load import load_rows
from .bench_writes import enrollment_inserts, progress_write_rows, schema_changed, trigger_rows
from .db import connect
from .search import search_courses
from .timing import (
    Row,
    best_time,
    compare,
    duration,
    per_statement,
    query_plan,
    speedup,
    table,
)

SEARCH_WORDS = ("python", "kubernetes", "regression", "backpropagation", "sql")
CATALOG_PAGE = queries.CATALOG + "LIMIT 20"

def copy_database(conn, path):
    """A snapshot of conn's database at `path` (VACUUM INTO), opened with courselab's settings."""
    Path(path).unlink(missing_ok=True)
    conn.execute("VACUUM INTO ?", (str(path),))
    return connect(path)


def migration_indexes(*versions):
    """{name: CREATE INDEX statement} of the indexes the given migrations create."""
    found = {}
    for migration in migrate.discover():
        if migration.version in versions:
            text = migration.up.read_text(encoding="utf-8")
            for match in re.finditer(r"(CREATE\s+INDEX\s+(\w+)[^;]*);", text, re.IGNORECASE):
                found[match.group(2)] = match.group(1)
    return found


def drop_indexes(conn, names):
    """Drop those of `names` that exist; return the names dropped."""
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                               "WHERE type = 'index'")}
    dropped = [name for name in names if name in existing]
    for name in dropped:
        conn.execute(f"DROP INDEX {name}")
    return dropped


def sample_ids(conn):
    """The most enrolled published course and the user with the most enrollments."""
    course = conn.execute("SELECT id FROM courses WHERE is_published = 1 "
                          "ORDER BY enrollment_count DESC, id LIMIT 1").fetchone()[0]
    user = conn.execute("SELECT user_id FROM enrollments GROUP BY user_id "
                        "ORDER BY COUNT(*) DESC, user_id LIMIT 1").fetchone()[0]
    return course, user


def application_queries(conn):
    """[(label, func)] for the course's four queries, with sample parameters from conn."""
    course, user = sample_ids(conn)
    return [
        ("catalog", queries.catalog),
        (f"course detail ({course})", lambda c: queries.course_detail(c, course)),
        (f"user progress ({user})", lambda c: queries.user_progress(c, user)),
        ("search 'python'", lambda c: search_courses(c, "python")),
    ]


def dashboard_queries():
    """[(label, func)] for the admin dashboard's reports."""
    return [(f"dashboard: {heading.lower()}", report) for heading, report in dashboard.REPORTS]


def index_rows(conn, copy, budget):
    """Application and dashboard queries with the indexes of 008/015 vs the copy without."""
    return [compare(label, conn, copy, func, budget)
            for label, func in application_queries(conn) + dashboard_queries()]


def catalog_index_rows(conn, before, budget):
    """015's composite index against 008's idx_courses_published (the copy `before`)."""
    page = ("catalog, first page (LIMIT 20)", lambda c: c.execute(CATALOG_PAGE).fetchall())
    rows = [compare(label, conn, before, func, budget)
            for label, func in [("catalog, all published courses", queries.catalog), page]]
    course, _user = sample_ids(before)
    insert = enrollment_inserts(before, course)
    plain = per_statement(before, insert)
    with schema_changed(before, migration_indexes("015").values(),
                        ["DROP INDEX idx_courses_catalog"]):
        indexed = per_statement(before, insert)
    rows.append(Row("enrollment insert (moves the course in the index)", duration(indexed),
                    duration(plain), speedup(indexed, plain),
                    "the write cost of 015: enrollment_count is a key column of the index"))
    return rows


def search_rows(conn, budget):
    """Every published course containing a word: the app's FTS5 search against LIKE '%word%'.

    Ours is search_courses() with no limit (ranked by bm25, which LIKE cannot do).
    """
    like = ("SELECT id, title FROM courses "
            "WHERE is_published = 1 AND (title LIKE ? OR description LIKE ?)")
    total = conn.execute("SELECT COUNT(*) FROM courses").fetchone()[0]
    rows = []
    for word in SEARCH_WORDS:
        pattern = f"%{word}%"
        ours, _sql = best_time(conn, lambda c, w=word: search_courses(c, w, limit=-1), budget)
        base, _sql = best_time(conn, lambda c, p=pattern: c.execute(like, (p, p)).fetchall(),
                               budget)
        found = len(search_courses(conn, word, limit=-1))
        substring = len(conn.execute(like, (pattern, pattern)).fetchall())
        rows.append(Row(f"'{word}', every published match", duration(ours), duration(base),
                        speedup(ours, base),
                        f"MATCH reads the word's entries in the index ({found:,} courses, "
                        f"ranked); LIKE reads the text of all {total:,} courses ({substring:,} "
                        "matches, inside longer words too)"))
    return rows


def computed_catalog_sql():
    """The catalog without counters: each one computed by its aggregate (COUNTER_TRUTH)."""
    truth = checks.COUNTER_TRUTH
    return (f"SELECT c.id, c.title, c.description, c.difficulty, c.duration, "
            f"{truth['lesson_count']} AS lesson_count, {truth['avg_rating']} AS avg_rating, "
            f"{truth['review_count']} AS review_count, "
            f"{truth['enrollment_count']} AS enrollment_count "
            f"FROM courses c WHERE c.is_published = 1 ORDER BY enrollment_count DESC")


def counter_rows(conn, budget):
    """The catalog reading 009's counters against computing them with aggregates."""
    sql = computed_catalog_sql()
    ours, _sql = best_time(conn, queries.catalog, budget)
    base, _sql = best_time(conn, lambda c: c.execute(sql).fetchall(), budget)
    subqueries = sum(1 for line in query_plan(conn, sql) if "SUBQUERY" in line)
    return [Row("catalog: stored counters vs aggregates", duration(ours), duration(base),
                speedup(ours, base),
                f"one read per course instead of {subqueries} correlated subqueries "
                "per course (reviews, enrollments, lessons)")]


# Today's two slow reports over the base tables, against the counters that replace them.
SET_WISE = {
    "Enrolled but never started": (dashboard.NEVER_STARTED, dashboard.NEVER_STARTED_SET_WISE),
    "Average completion per course": (dashboard.COMPLETION_RATES,
                                      dashboard.COMPLETION_RATES_SET_WISE),
}


def dashboard_rows(conn, budget):
    """The five reports (two read the progress counters) against the set-wise queries."""
    rows, total, reference = [], 0.0, 0.0
    for heading, report in dashboard.REPORTS:
        ours, _sql = best_time(conn, report, budget)
        total += ours
        if heading in SET_WISE:
            counters_sql, base_sql = SET_WISE[heading]
            base, _sql = best_time(conn, lambda c, s=base_sql: c.execute(s).fetchall(), budget)
            reference += base
            rows.append(Row(f"{heading.lower()}: counters vs base tables",
                            duration(ours), duration(base), speedup(ours, base),
                            f"`{query_plan(conn, counters_sql)[0]}` instead of a pass over "
                            "every progress row, lesson and section"))
    rows.append(Row("all five reports vs the two base-table queries", duration(total),
                    duration(reference), speedup(total, reference),
                    "the five reports together, against only the two queries they replace"))
    return rows


def run(scale="large", seed=0, workdir=None, progress=False, budget=0.3, say=print,
        pg_url=None):
    """Build the dataset and run every comparison; return the report as markdown.

    `workdir` holds the databases (a temporary directory inside it, removed at the end);
    `budget` is the seconds spent repeating each fast measurement (the best run counts);
    `say` receives a line as each part starts. With `pg_url` (an empty PostgreSQL database)
    the same dataset is also loaded there and the engines compared (bench_engines).
    """
    sections = []
    with tempfile.TemporaryDirectory(dir=workdir, prefix="bench-") as tmp:
        tmp = Path(tmp)
        say(f"bulk load ({scale}), and the same rows into keyed tables")
        conn, rows = load_rows(scale, seed, tmp / "bench.db", tmp, progress)
        sections.append(("Bulk load: generation, the SQLite side and its ceilings", rows))
        say("queries with and without the indexes of 008 and 015")
        copy = copy_database(conn, tmp / "copy.db")
        drop_indexes(copy, migration_indexes("008", "015"))
        sections.append(("Queries: with the indexes of 008 (and 015) against none",
                         index_rows(conn, copy, budget)))
        say("015 against 008's idx_courses_published")
        for sql in migration_indexes("008").values():
            copy.execute(sql)
        sections.append(("015: composite catalog index against 008's idx_courses_published",
                         catalog_index_rows(conn, copy, budget)))
        say("search, counters, triggers")
        sections.append(("Search: FTS5 MATCH against LIKE '%word%'", search_rows(conn, budget)))
        sections.append(("Denormalized counters (009) against aggregates",
                         counter_rows(conn, budget)))
        say("dashboard: progress counters against the base tables")
        sections.append(("Dashboard: progress counters against the base tables",
                         dashboard_rows(conn, budget)))
        sections.append(("Triggers: 009/010 against the course text's versions",
                         trigger_rows(copy, sample_ids(copy)[0])))
        sections.append(("Progress counters: what they cost a write",
                         progress_write_rows(copy)))
        copy.close()
        conn.close()
        if pg_url:
            from .bench_engines import engine_rows  # imports psycopg: only with --pg

            say("the same dataset on PostgreSQL: the load and the dashboard")
            sections.append(("SQLite against PostgreSQL: the load and the dashboard",
                             engine_rows(pg_url, scale, seed, tmp)))
    return "\n\n".join(f"### {title}\n\n{table(rows)}" for title, rows in sections) + "\n"
