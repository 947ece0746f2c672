"""The benchmark: plans that make the queries fast, and comparisons that compare like with like.

No test here asserts a time: timings belong to `courselab bench`. These assert the plans
(an index used, no full scan of a big table) and that each comparison is fair.
"""

import pytest

from courselab import bench, bench_load, bench_writes, dashboard, generate, migrate, queries, timing
from courselab.cli import main
from courselab.search import SEARCH_SQL


@pytest.fixture
def big(make_db):
    """A head database with the class dataset (no fixtures)."""
    conn = make_db(load=False, name="big")
    generate.generate(conn, "class")
    return conn


def plan(conn, sql, params=()):
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def full_scans(lines, tables):
    """Plan lines that read a whole table (SCAN without an index) among `tables`."""
    return [line for line in lines
            if line.startswith("SCAN ") and line.split()[1] in tables and "INDEX" not in line]


def test_the_catalog_reads_the_composite_index_of_015_without_sorting(big):
    lines = plan(big, queries.CATALOG)
    assert lines == ["SEARCH courses USING INDEX idx_courses_catalog (is_published=?)"]


def test_before_015_the_catalog_sorts_in_a_temporary_b_tree(make_db):
    conn = make_db(to="014", load=False)
    assert plan(conn, queries.CATALOG) == [
        "SEARCH courses USING INDEX idx_courses_published (is_published=?)",
        "USE TEMP B-TREE FOR ORDER BY"]


def test_015_rolls_back_to_the_index_of_008(make_db):
    conn = make_db(load=False)
    migrate.rollback(conn, to="014")
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                            "WHERE type = 'index'")}
    assert "idx_courses_published" in names and "idx_courses_catalog" not in names


def test_course_detail_and_user_progress_never_scan_a_big_table(big):
    course, user = bench.sample_ids(big)
    big_tables = {"s", "l", "e", "p", "sections", "lessons", "enrollments", "progress"}
    detail = plan(big, queries.COURSE_DETAIL, (course,))
    progress = plan(big, queries.USER_PROGRESS, (user,))
    assert full_scans(detail, big_tables) == [] and full_scans(progress, big_tables) == []
    assert any("idx_sections_position" in line for line in detail)


def test_without_the_008_indexes_course_detail_scans_lessons(big, tmp_path):
    copy = bench.copy_database(big, tmp_path / "copy.db")
    dropped = bench.drop_indexes(copy, bench.migration_indexes("008", "015"))
    assert "idx_lessons_section_id" in dropped and "idx_courses_catalog" in dropped
    course, _user = bench.sample_ids(big)
    assert full_scans(plan(copy, queries.COURSE_DETAIL, (course,)), {"s", "l"})
    assert full_scans(plan(big, queries.COURSE_DETAIL, (course,)), {"s", "l"}) == []


def test_each_page_uses_the_indexes_notebook_20_names(big):
    course, user = bench.sample_ids(big)

    def used(sql, params=()):
        return sorted({word for line in plan(big, sql, params) for word in
                       line.replace("(", " ").split() if word.startswith("idx_")})
    assert used(queries.CATALOG) == ["idx_courses_catalog"]
    assert used(queries.COURSE_DETAIL, (course,)) == ["idx_lessons_section_id",
                                                       "idx_sections_position"]
    assert used(queries.USER_PROGRESS, (user,)) == ["idx_lessons_section_id",
                                                     "idx_sections_position"]


def test_like_reads_every_published_course_and_no_search_index(big):
    lines = plan(big, "SELECT id, title FROM courses WHERE is_published = 1 "
                      "AND (title LIKE ? OR description LIKE ?)", ("%x%", "%x%"))
    assert lines == ["SEARCH courses USING INDEX idx_courses_catalog (is_published=?)"]


def test_like_finds_a_substring_where_match_finds_only_the_word(db):
    # Fixtures: 'SQL Fundamentals' has the word; 'SQLite Performance' only the letters.
    like = db.execute("SELECT id FROM courses WHERE title LIKE '%sql%' "
                      "OR description LIKE '%sql%' ORDER BY id").fetchall()
    match = db.execute("SELECT c.id FROM courses_fts JOIN courses c "
                       "ON c.rowid = courses_fts.rowid WHERE courses_fts MATCH 'sql' "
                       "ORDER BY c.id").fetchall()
    assert [r[0] for r in like] == ["c-perf", "c-sql"] and [r[0] for r in match] == ["c-sql"]


def test_the_course_average_visits_the_reviews_of_the_course_one_by_one(big):
    course, _user = bench.sample_ids(big)
    # Not COVERING: for each review in the index, a read of its row to get the rating.
    assert plan(big, "SELECT AVG(rating) FROM reviews WHERE course_id = ?", (course,)) == [
        "SEARCH reviews USING INDEX idx_reviews_course_id (course_id=?)"]


def test_search_goes_through_the_fts_index_then_the_rowid(big):
    lines = plan(big, SEARCH_SQL, ('"python"', 20))
    assert lines[0].startswith("SCAN courses_fts VIRTUAL TABLE")
    assert any("INTEGER PRIMARY KEY (rowid=?)" in line for line in lines)


def test_the_computed_catalog_gives_the_same_rows_as_the_counters(big):
    stored = {tuple(row) for row in queries.catalog(big)}
    computed = {tuple(row) for row in big.execute(bench.computed_catalog_sql())}
    assert computed == stored and len(stored) > 0
    subqueries = [line for line in plan(big, bench.computed_catalog_sql())
                  if line.startswith("CORRELATED SCALAR SUBQUERY")]
    assert len(subqueries) == 4


def test_per_statement_leaves_no_trace(big):
    course, _user = bench.sample_ids(big)
    before = big.execute("SELECT review_count, rating_sum FROM courses WHERE id = ?",
                         (course,)).fetchone()
    inserts = bench_writes.review_inserts(big, course, count=20)
    assert len(inserts) == 20
    timing.per_statement(big, inserts)
    after = big.execute("SELECT review_count, rating_sum FROM courses WHERE id = ?",
                        (course,)).fetchone()
    assert tuple(after) == tuple(before)


def test_a_swapped_trigger_is_put_back_exactly(big):
    def trigger_sql():
        return big.execute("SELECT sql FROM sqlite_master "
                           "WHERE name = 'review_stats_insert'").fetchone()[0]
    ours = trigger_sql()
    course_version = bench_writes.COURSE_REVIEW_TRIGGER
    with bench_writes.swapped_trigger(big, "review_stats_insert", course_version):
        assert "AVG(rating)" in trigger_sql()
    assert trigger_sql() == ours


def test_plan_difference_names_the_lines_that_changed():
    assert timing.plan_difference(["SEARCH l USING INDEX i (x=?)"], ["SCAN l"]) == \
        "`SEARCH l USING INDEX i (x=?)` instead of `SCAN l`"
    assert timing.plan_difference(["SCAN c"], ["SCAN c", "USE TEMP B-TREE FOR ORDER BY"]) == \
        "no `USE TEMP B-TREE FOR ORDER BY`"
    assert timing.plan_difference(["SCAN c"], ["SCAN c"]) == "same plan: `SCAN c`"


@pytest.mark.parametrize("ours, baseline, text", [
    (0.001, 0.5, "500×"), (0.01, 0.013, "1.3×"), (0.01, 0.008, "0.8× (slower)"),
    (0.01, 0.0005, "0.05× (slower)"),
    (1.0, None, f"> {timing.TIMEOUT_S}×"),
])
def test_speedups_read_as_times_faster(ours, baseline, text):
    assert timing.speedup(ours, baseline) == text


def test_the_report_has_every_comparison_with_a_ratio(tmp_path):
    report = bench.run("class", workdir=tmp_path, budget=0, say=lambda line: None)
    for title in ["Bulk load", "Queries: with the indexes", "015: composite catalog index",
                  "Search: FTS5 MATCH", "Denormalized counters", "Dashboard: progress counters",
                  "Triggers: 009/010", "Progress counters: what they cost"]:
        assert f"### {title}" in report
    rows = [line for line in report.splitlines()
            if line.startswith("| ") and not line.startswith("| comparison")]
    labels = [row.split(" | ")[0] for row in rows]
    assert {"| catalog", "| catalog, first page (LIMIT 20)"} <= set(labels)
    assert sum("dashboard:" in label for label in labels) == len(bench.dashboard_queries())
    assert sum("review insert" in label for label in labels) == 2
    assert sum("counters vs base tables" in label
               for label in labels) == 2
    assert any("all five reports" in label for label in labels)
    assert all(("×" in row or "% of" in row or "rows/s" in row) for row in rows)
    load = [row for row in rows if "bulk load, SQLite side" in row]
    assert len(load) == 2 and all("% of" in row for row in load)
    assert list(tmp_path.iterdir()) == []  # its databases are removed


def test_cli_bench_writes_the_report(quick_bench, tmp_path, capsys):
    out = tmp_path / "out" / "bench.md"
    assert main(["bench", "--scale", "class", "--out", str(out)]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert out.read_text() == printed and "### Bulk load" in printed


@pytest.mark.parametrize("out, reason", [
    (".", "a folder, not a file; give a file name, such as"),
    ("file/bench.md", "{tmp}/file is a file, not a folder"),
    ("/proc/bench.md", "cannot write in /proc ("),  # no new file there, even root's
])
def test_cli_bench_refuses_an_out_it_cannot_write_before_measuring(out, reason, tmp_path,
                                                                   monkeypatch, capsys):
    monkeypatch.setattr(bench, "run", lambda *args, **kwargs: pytest.fail("bench ran"))
    (tmp_path / "file").write_text("")
    out = tmp_path / out
    assert main(["bench", "--scale", "class", "--out", str(out)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"courselab bench: --out {out}: {reason.format(tmp=tmp_path)}")


def test_cli_bench_refuses_an_existing_out_it_cannot_write_before_measuring(tmp_path,
                                                                         monkeypatch, capsys):
    from courselab import commands

    out = tmp_path / "bench.md"
    out.write_text("last week's report")
    real_open = open

    def refuse(path, *args, **kwargs):  # an immutable file: chmod would not stop root
        if str(path) == str(out):
            raise PermissionError(1, "Operation not permitted", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(commands, "open", refuse, raising=False)
    monkeypatch.setattr(bench, "run", lambda *args, **kwargs: pytest.fail("bench ran"))
    assert main(["bench", "--scale", "class", "--out", str(out)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (f"courselab bench: --out {out}: cannot write it (Operation not permitted); "
                    "give a file you can write")
    assert out.read_text() == "last week's report"


def test_the_plan_of_a_query_is_fresh_after_an_index_is_dropped(big):
    first = timing.query_plan(big, queries.CATALOG)
    big.execute("DROP INDEX idx_courses_catalog")
    assert timing.query_plan(big, queries.CATALOG) != first


def test_the_progress_write_cost_compares_with_the_counters_dropped_and_puts_them_back(big):
    before = big.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    objects = bench_writes.counter_objects(big)
    assert "lessons_done_progress_insert" in objects and "idx_enrollments_not_started" in objects
    assert len(bench_writes.progress_inserts(big, count=20)) == 20
    [row] = bench_writes.progress_write_rows(big)
    assert "× the time" in row.ratio
    after = big.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


def test_the_keyed_ceiling_loads_the_same_rows_into_the_same_tables(big, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    watch, own = bench_load.keyed_ceiling(big, "class", 0, work)
    assert watch.wall > 0 and own > 0 and list(work.iterdir()) == []


def test_the_keyed_ceiling_times_its_commit_as_the_load_does(big, tmp_path, monkeypatch):
    timed = []

    class Recording(timing.Stopwatch):
        def execute(self, *args):
            timed.append(args[0])
            return super().execute(*args)

    monkeypatch.setattr(bench_load, "Stopwatch", Recording)
    bench_load.keyed_ceiling(big, "class", 0, tmp_path)
    assert timed == ["BEGIN IMMEDIATE", "COMMIT"]


def test_the_never_started_report_reads_one_covering_index_and_nothing_else(big):
    assert plan(big, dashboard.NEVER_STARTED) == [
        "SCAN e USING COVERING INDEX idx_enrollments_not_started"]
    assert plan(big, dashboard.COMPLETION_RATES) == ["SCAN courses", "USE TEMP B-TREE FOR ORDER BY"]
