"""Notebook 21's PostgreSQL helpers: a database per notebook, `%%pg`, and what it claims."""

import pytest
from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython

from courselab import migrate, pg_notebook, workbook


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
