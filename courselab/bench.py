"""The benchmark: every figure is a ratio of two variants measured side by side in one run.

`run(scale)` builds the dataset once (timing the bulk load against the raw insert limit),
then compares, on that data: the application and dashboard queries with and without the
indexes of 008 and 015 (dropped in a copy), FTS5 against LIKE, denormalized counters
against aggregates, and the triggers of 009/010 against the course text's versions.
Results are markdown tables; absolute times are shown only beside their comparison.
"""

import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import bulkload, checks, generate, migrate, queries
from .db import connect, transaction
from .search import search_courses
from .timing import (
    Row,
    best_time,
    clocked,
    compare,
    duration,
    per_statement,
    query_plan,
    speedup,
    table,
)

try:  # the admin dashboard (challenge 3) may be absent from an older checkout
    from . import dashboard
except ImportError:  # pragma: no cover
    dashboard = None

SEARCH_WORDS = ("python", "kubernetes", "regression", "backpropagation", "sql")
CATALOG_PAGE = queries.CATALOG + "LIMIT 20"

# The course text's triggers, rebuilt in a copy to be measured against ours.
COURSE_REVIEW_TRIGGER = """
CREATE TRIGGER review_stats_insert AFTER INSERT ON reviews BEGIN
    UPDATE courses SET
        review_count = review_count + 1,
        avg_rating = (SELECT AVG(rating) FROM reviews WHERE course_id = NEW.course_id)
    WHERE id = NEW.course_id;
END"""
FTS_UPDATE_ANY_COLUMN = """
CREATE TRIGGER courses_fts_update AFTER UPDATE ON courses BEGIN
    INSERT INTO courses_fts(courses_fts, rowid, title, description)
    VALUES ('delete', OLD.rowid, OLD.title, OLD.description);
    INSERT INTO courses_fts(rowid, title, description)
    VALUES (NEW.rowid, NEW.title, NEW.description);
END"""


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
    """[(label, func)] for the admin dashboard's reports, if the module exists."""
    if dashboard is None:
        return []
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


@contextmanager
def schema_changed(conn, change, undo):
    """Apply the `change` statements (committed), then the `undo` ones on the way out.

    Committed, not rolled back: a ROLLBACK TO in a transaction that changed the schema
    makes SQLite reload the schema and re-prepare every statement, which per_statement
    would then time.
    """
    with transaction(conn):
        for sql in change:
            conn.execute(sql)
    try:
        yield conn
    finally:
        with transaction(conn):
            for sql in undo:
                conn.execute(sql)


def swapped_trigger(conn, name, sql):
    """schema_changed() that replaces trigger `name` by `sql`, and puts it back."""
    ours = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    return schema_changed(conn, [f"DROP TRIGGER {name}", sql], [f"DROP TRIGGER {name}", ours])


def free_users(conn, course, count, table):
    """Up to `count` user ids with no row for `course` in `table` (reviews or enrollments)."""
    return [row[0] for row in conn.execute(
        f"SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM {table} x "
        f"WHERE x.user_id = u.id AND x.course_id = ?) ORDER BY id LIMIT ?", (course, count))]


def review_inserts(conn, course, count=300):
    """(sql, params) inserting a review of `course` by each of `count` users."""
    sql = ("INSERT INTO reviews (id, user_id, course_id, rating, body, created_at) "
           "VALUES (?, ?, ?, ?, NULL, '2026-01-01 00:00:00')")
    return [(sql, (f"bench-r-{i}", user, course, 1 + i % 5))
            for i, user in enumerate(free_users(conn, course, count, "reviews"))]


def enrollment_inserts(conn, course, count=300):
    """(sql, params) enrolling each of `count` users in `course`."""
    sql = "INSERT INTO enrollments (user_id, course_id, enrolled_at) VALUES (?, ?, '2026-01-01')"
    return [(sql, (user, course)) for user in free_users(conn, course, count, "enrollments")]


def grow_reviews(conn, course, target):
    """Give `course` `target` reviews (committed), from users who have none for it."""
    missing = target - conn.execute("SELECT review_count FROM courses WHERE id = ?",
                                    (course,)).fetchone()[0]
    if missing <= 0:
        return
    users = free_users(conn, course, missing, "reviews")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO reviews (id, user_id, course_id, rating, created_at) "
                     "VALUES (?, ?, ?, ?, '2026-01-01 00:00:00')",
                     ((f"grow-{i}", user, course, 1 + (i * 7) % 5) for i, user in enumerate(users)))
    conn.execute("COMMIT")


def trigger_rows(copy, big_reviews=10_000):
    """009/010 triggers against the course's AVG trigger and an FTS trigger on every column."""
    course, _user = sample_ids(copy)
    users = copy.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    # Leave users free to write the measured reviews (a small dataset gets half of them).
    grow_reviews(copy, course, min(big_reviews, max(users - 300, users // 2)))
    small = copy.execute("SELECT id FROM courses WHERE review_count BETWEEN 1 AND 100 "
                         "AND id <> ? ORDER BY review_count DESC, id LIMIT 1",
                         (course,)).fetchone()[0]
    rows = []
    for target in (course, small):
        count = copy.execute("SELECT review_count FROM courses WHERE id = ?",
                             (target,)).fetchone()[0]
        inserts = review_inserts(copy, target)
        ours = per_statement(copy, inserts)
        with swapped_trigger(copy, "review_stats_insert", COURSE_REVIEW_TRIGGER):
            course_version = per_statement(copy, inserts)
        rows.append(Row(f"review insert, course with {count:,} reviews", duration(ours),
                        duration(course_version), speedup(ours, course_version),
                        "009 adds the new rating to rating_sum; the course's trigger "
                        "re-averages every review of the course"))
    inserts = enrollment_inserts(copy, course)
    ours = per_statement(copy, inserts)
    with swapped_trigger(copy, "courses_fts_update", FTS_UPDATE_ANY_COLUMN):
        any_column = per_statement(copy, inserts)
    rows.append(Row("enrollment insert (updates enrollment_count)", duration(ours),
                    duration(any_column), speedup(ours, any_column),
                    "010 re-indexes a course only `AFTER UPDATE OF title, description`; "
                    "without it every counter change rewrites the course's FTS entries"))
    return rows


def load_rows(scale, seed, db_path, workdir, progress):
    """Bulk-load the dataset into db_path; compare with the raw insert limit. (conn, rows).

    Wall time is the figure; CPU time (this process) is given too, because it barely
    moves when other programs compete for the machine.
    """
    next(generate.rows(scale, seed))  # warm up: Faker loads its locale on first use
    generation = clocked(lambda: sum(1 for _ in generate.rows(scale, seed)))
    raw = clocked(lambda: bulkload.raw_limit(generate.rows(scale, seed), generate.COLUMNS,
                                             workdir)[0])
    conn = connect(db_path)
    migrate.migrate(conn)
    load = clocked(lambda: sum(generate.generate(conn, scale, seed, progress=progress).values()))
    assert load.result == raw.result, "the raw limit must insert the same rows"
    total = load.result
    whole = Row(f"bulk load, {total:,} rows ({scale})", f"{total / load.wall:,.0f} rows/s",
                f"{total / raw.wall:,.0f} rows/s", f"{raw.wall / load.wall:.0%} of the limit",
                "one transaction: 009/010 triggers and indexes dropped, rows inserted in "
                f"batches of {bulkload.BATCH_ROWS:,}, then indexes, counters and FTS rebuilt "
                f"set-wise (CPU time: {raw.cpu / load.cpu:.0%})")
    insert, limit = load.wall - generation.wall, raw.wall - generation.wall
    if min(insert, limit) <= 0:  # a tiny dataset: generation time is all noise
        return conn, [whole]
    cpu = (raw.cpu - generation.cpu) / (load.cpu - generation.cpu)
    insert_only = Row("same, generation time taken out", f"{total / insert:,.0f} rows/s",
                      f"{total / limit:,.0f} rows/s", f"{limit / insert:.0%} of the limit",
                      f"generating the rows alone takes {duration(generation.wall)}; the limit "
                      "is plain executemany into tables with no key, index, trigger or FTS "
                      f"(CPU time: {cpu:.0%})")
    return conn, [whole, insert_only]


def run(scale="large", seed=0, workdir=None, progress=False, budget=0.3, say=print):
    """Build the dataset and run every comparison; return the report as markdown.

    `workdir` holds the databases (a temporary directory inside it, removed at the end);
    `budget` is the seconds spent repeating each fast measurement (the best run counts);
    `say` receives a line as each part starts.
    """
    sections = []
    with tempfile.TemporaryDirectory(dir=workdir, prefix="bench-") as tmp:
        tmp = Path(tmp)
        say(f"bulk load ({scale}) and raw insert limit")
        conn, rows = load_rows(scale, seed, tmp / "bench.db", tmp, progress)
        sections.append(("Bulk load against the raw insert limit", rows))
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
        sections.append(("Triggers: 009/010 against the course text's versions",
                         trigger_rows(copy)))
        copy.close()
        conn.close()
    return "\n\n".join(f"### {title}\n\n{table(rows)}" for title, rows in sections) + "\n"
