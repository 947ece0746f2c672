"""Notebook 24's PostgreSQL helpers: a database per notebook, `%%pg`, and what it claims."""

import pytest
from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython

from courselab import migrate, pg_notebook, postgres, workbook


@pytest.fixture
def ipython(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shell = start_ipython() or get_ipython()  # one shell per process: the first call
    yield shell
    shell.run_cell("%reset -f")


def test_start_without_a_server_says_how_to_get_one_and_pg_cells_skip(ipython, monkeypatch,
                                                                       capsys):
    monkeypatch.delenv("COURSELAB_PG_URL", raising=False)
    monkeypatch.setattr(pg_notebook, "_cluster", None)
    monkeypatch.setattr(pg_notebook.pgserver, "bin_dir", lambda: None)
    assert pg_notebook.start("t1") is None
    assert "apt-get install postgresql" in capsys.readouterr().out
    result = ipython.run_cell("%%pg\nSELECT 1")
    assert result.success
    assert capsys.readouterr().out.startswith("skipped: no PostgreSQL here")


def test_start_with_a_server_gives_a_database_at_the_version_and_pg_cells_run_there(
        ipython, pg_cluster, monkeypatch, capsys):
    monkeypatch.setenv("COURSELAB_PG_URL", pg_cluster.url())
    workbook.start("t2", to="015")
    pg = pg_notebook.start("t2", to="009")
    assert "PostgreSQL database nbt2 at version 009; rows:" in capsys.readouterr().out
    result = ipython.run_cell("%%pg\nSELECT COUNT(*) AS n FROM schema_migrations")
    assert result.result[0][0] == 9
    on_sqlite = ipython.run_cell("%%sql\nSELECT COUNT(*) AS n FROM schema_migrations")
    assert on_sqlite.result[0][0] == 15  # %sql still points at the notebook's SQLite file
    pg.conn.close()


def test_a_retry_restores_the_sqlite_database_beside_a_pg_connection(ipython, pg_cluster,
                                                                     monkeypatch):
    from courselab import attempts

    monkeypatch.setenv("COURSELAB_PG_URL", pg_cluster.url())
    db = workbook.start("t4", to="010")
    pg = pg_notebook.start("t4", to="009")  # %%pg: a PostgreSQL connection beside %sql's
    assert ipython.run_cell("%%pg\nSELECT 1 AS one").success  # its connection is open
    copy = attempts._copy(db)
    ipython.run_cell("%sql CREATE INDEX wrong ON courses (title)")
    attempts._restore(db, copy)  # what re-running an answer cell does
    assert ipython.run_cell("%sql CREATE INDEX wrong ON courses (title)").success
    assert ipython.run_cell("%%pg\nSELECT COUNT(*) AS n FROM schema_migrations").result[0][0] == 9
    pg.conn.close()


def test_sqlite_stores_text_in_an_integer_column_where_postgresql_refuses_it(make_db, pg_url):
    import psycopg

    from courselab import postgres

    sqlite = make_db()
    sqlite.execute("UPDATE courses SET lesson_count = 'many' WHERE id = 'c-sql'")
    assert sqlite.execute("SELECT typeof(lesson_count) FROM courses "
                          "WHERE id = 'c-sql'").fetchone()[0] == "text"
    conn = postgres.connect(pg_url)
    postgres.migrate_up(conn)
    conn.execute("INSERT INTO courses (id, title) VALUES ('c-sql', 'SQL')")
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("UPDATE courses SET lesson_count = 'many' WHERE id = 'c-sql'")


def test_show_dialects_keeps_only_the_statements_of_the_part_asked_for():
    sqlite = pg_notebook._statements_with(
        (migrate.MIGRATIONS_DIR / "009_add_denormalized_columns_and_triggers.sql").read_text(),
        "enrollment_count_")
    assert "CREATE TRIGGER enrollment_count_insert" in sqlite
    assert "review_stats" not in sqlite and "BEGIN;" not in sqlite.splitlines()[0]


def test_at_scale_gives_a_second_database_with_the_generated_rows_and_leaves_pg_cells_alone(
        ipython, pg_cluster, monkeypatch, capsys):
    from courselab import generate, pg_counters

    monkeypatch.setenv("COURSELAB_PG_URL", pg_cluster.url())
    workbook.start("t3", to="015")
    pg = pg_notebook.start("t3", to="009")
    big = pg_notebook.at_scale("t3scale", "class", seed=3)
    out = capsys.readouterr().out
    head = migrate.discover(postgres.MIGRATIONS_DIR)[-1].version
    assert f"PostgreSQL database nbt3scale at version {head}; rows:" in out
    sqlite = workbook.fresh_database("t3-scale", load=False)
    counts = generate.generate(sqlite, "class", seed=3)
    assert f"enrollments {counts['enrollments']}" in out
    assert big.conn.execute("SELECT COUNT(*) FROM progress").fetchone()[0] == counts["progress"]
    assert pg_counters.counter_drift(big.conn) == []
    # %%pg still runs on the notebook's own database, at 009
    result = ipython.run_cell("%%pg\nSELECT COUNT(*) AS n FROM schema_migrations")
    assert result.result[0][0] == 9
    big.conn.close()
    pg.conn.close()


def test_at_scale_without_a_server_says_how_to_get_one(monkeypatch, capsys):
    monkeypatch.delenv("COURSELAB_PG_URL", raising=False)
    monkeypatch.setattr(pg_notebook, "_cluster", None)
    monkeypatch.setattr(pg_notebook.pgserver, "bin_dir", lambda: None)
    assert pg_notebook.at_scale("t4", "class") is None
    assert "apt-get install postgresql" in capsys.readouterr().out
