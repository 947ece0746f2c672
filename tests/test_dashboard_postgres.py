"""The admin dashboard on a real PostgreSQL server: the same five reports, the same rows."""

import re

import pytest

from courselab import dashboard, fixtures, generate, pg_data, pg_generate, postgres
from courselab.cli import main


def _values(rows):
    """Rows as tuples of plain values (PostgreSQL's NUMERIC compared as floats)."""
    return [tuple(float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int) else v
                  for v in (row.values() if isinstance(row, dict) else tuple(row)))
            for row in rows]


def _reports(conn):
    return {heading: _values(report(conn)) for heading, report in dashboard.REPORTS}


def _changes(run):
    """Progress, enrollments, lessons and sections changed the same way on either engine."""
    run("INSERT INTO progress (user_id, lesson_id) VALUES ('u-donald', 'l-sql-1')")
    run("INSERT INTO enrollments (user_id, course_id) VALUES ('u-donald', 'c-sql')")
    run("DELETE FROM progress WHERE user_id = 'u-ada' AND lesson_id = 'l-sql-2'")
    run("UPDATE lessons SET section_id = 's-design-1' WHERE id = 'l-sql-3'")
    run("DELETE FROM sections WHERE id = 's-perf-1'")
    run("UPDATE enrollments SET completed_at = '2026-06-01 10:00:00' "
        "WHERE user_id = 'u-grace' AND course_id = 'c-sql'")


@pytest.mark.parametrize("version", [None, "016"], ids=["with 017's counters", "at 016"])
def test_the_five_reports_return_the_same_rows_on_both_engines(pg, make_db, version):
    postgres.migrate_up(pg, to=version)
    pg_data.load(pg, fixtures.DATA_DIR)
    sqlite = make_db(to=version)
    assert _reports(pg) == _reports(sqlite)
    _changes(lambda sql: pg.execute(sql))
    _changes(lambda sql: sqlite.execute(sql))
    assert _reports(pg) == _reports(sqlite)
    assert pg_data.counter_drift(pg) == []


def test_the_reports_agree_on_generated_data(pg, make_db):
    postgres.migrate_up(pg)
    pg_generate.generate_into(pg, "class", seed=5)
    sqlite = make_db(load=False)
    generate.generate(sqlite, "class", seed=5)
    assert _reports(pg) == _reports(sqlite)


def test_courselab_dashboard_prints_the_reports_from_postgresql(pg, pg_url, cli):
    postgres.migrate_up(pg)
    pg_data.load(pg, fixtures.DATA_DIR)
    result = cli("dashboard", "--db", pg_url)
    assert result.returncode == 0, result.stderr
    for heading, _ in dashboard.REPORTS:
        assert f"== {heading}\n" in result.stdout
    assert "\nid\ttitle\tis_published\tenrollment_count\nc-sql\tSQL Fundamentals\t1\t4\n" \
        in result.stdout


def test_bench_compares_the_load_and_every_report_on_both_engines(pg_url, tmp_path):
    from courselab import bench_engines

    rows = bench_engines.engine_rows(pg_url, "class", seed=1, directory=tmp_path)
    assert [r.comparison for r in rows] == [
        "load of the class dataset: PostgreSQL (COPY) vs SQLite (bulk load)",
        *(f"dashboard, {heading.lower()}: PostgreSQL vs SQLite"
          for heading, _ in dashboard.REPORTS),
        "dashboard, all five reports: PostgreSQL vs SQLite"]
    assert all(re.fullmatch(r"[\d,.]+×( \(slower\))?", r.ratio) for r in rows), rows
    with postgres.connect(pg_url) as pg:
        assert pg_data.counter_drift(pg) == []


def test_cli_bench_with_pg_writes_the_engine_section(pg_url, quick_bench, tmp_path, capsys):
    out = tmp_path / "bench.md"
    status = main(["bench", "--scale", "class", "--out", str(out), "--pg", pg_url])
    assert status == 0, capsys.readouterr().err
    assert "### SQLite against PostgreSQL: the load and the dashboard" in out.read_text()


def test_cli_bench_refuses_a_pg_option_that_is_not_a_url(cli, tmp_path):
    result = cli("bench", "--scale", "class", "--out", tmp_path / "b.md", "--pg", "big.db")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "courselab bench: --pg 'big.db': not a PostgreSQL URL; give "
        "postgresql://user@host:port/dbname"]


def test_generate_leaves_the_planner_statistics_of_every_loaded_table(pg):
    postgres.migrate_up(pg)
    counts = pg_generate.generate_into(pg, "class", seed=2)
    planned = dict(pg.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
                              (list(counts),)).fetchall())
    assert {table: planned[table] for table in counts} == {
        table: float(pg.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]) for table in counts}
