"""The command line on PostgreSQL: `--db postgresql://…` selects it in every command."""

from courselab import migrate, postgres

HEAD = migrate.discover(postgres.MIGRATIONS_DIR)[-1].version


def test_migrate_status_load_check_search_and_rollback_on_postgresql(cli, pg_url):
    migrated = cli("migrate", "--db", pg_url)
    assert migrated.returncode == 0, migrated.stderr
    assert f"at version {HEAD} ({int(HEAD)} applied now)" in migrated.stdout
    status = cli("status", "--db", pg_url)
    assert status.stdout.count("applied ") == int(HEAD)
    loaded = cli("load", "--db", pg_url)
    assert loaded.returncode == 0 and "loaded 148 rows" in loaded.stdout, loaded.stderr
    checked = cli("check", "--db", pg_url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "FAIL" not in checked.stdout
    found = cli("search", "--db", pg_url, 'sql "joins" (')
    assert found.returncode == 0 and found.stdout.startswith("c-sql\t")
    refused = cli("rollback", "--db", pg_url, "--to", "0")
    assert refused.returncode == 1 and "pass --force" in refused.stderr
    assert refused.stderr.count("\n") == 1
    undone = cli("rollback", "--db", pg_url, "--to", "0", "--force")
    assert undone.returncode == 0 and undone.stdout.endswith("at version 0\n")


def test_generate_on_postgresql_reports_its_rows(cli, pg_url):
    assert cli("migrate", "--db", pg_url).returncode == 0
    generated = cli("generate", "--db", pg_url, "--scale", "class", "--seed", "2")
    assert generated.returncode == 0, generated.stderr
    assert "generated" in generated.stdout and "enrollments" in generated.stdout
    assert cli("check", "--db", pg_url).returncode == 0


def test_an_unreachable_server_is_one_line_not_a_traceback(cli):
    result = cli("status", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.startswith("courselab status: postgresql://nobody@127.0.0.1:1/none: "
                                    "cannot connect to PostgreSQL (connection to server at ")
    assert "port 1 failed: Connection refused; Is the server running" in result.stderr
    assert result.stderr.count("\n") == 1 and "\t" not in result.stderr


def test_a_row_postgresql_refuses_fails_the_load_in_one_line_naming_the_file(
        cli, pg_url, tmp_path):
    assert cli("migrate", "--db", pg_url).returncode == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "users.csv").write_text("id,name,email\nu-1,Ann,a@x.org\nu-2,Bo,a@x.org\n")
    result = cli("load", "--db", pg_url, bad)
    assert result.returncode == 1
    assert "users.csv" in result.stderr and "duplicate key" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert cli("search", "--db", pg_url, "x").returncode == 0  # nothing half-loaded broke it


def test_check_of_an_empty_database_says_there_is_nothing_to_check_as_on_sqlite(cli, pg_url):
    result = cli("check", "--db", pg_url)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.endswith(": no migration applied and none of courselab's tables, so "
                                  "nothing to check: run `courselab migrate` first\n")


def test_before_010_search_and_a_rollback_upwards_are_refused_in_one_line_as_on_sqlite(
        cli, pg_url):
    assert cli("migrate", "--db", pg_url, "--to", "005").returncode == 0
    search = cli("search", "--db", pg_url, "sql")
    assert (search.returncode, search.stderr) == (
        1, "courselab search: no search index in this database; migrate to 010 first\n")
    nothing = cli("search", "--db", pg_url, "!!!")
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (0, "", "")
    upwards = cli("rollback", "--db", pg_url, "--to", "015")
    assert (upwards.returncode, upwards.stderr) == (
        1, "courselab rollback: database is at 005, below 015; use migrate to go up\n")


def test_check_fails_on_an_orphan_row_and_names_it(cli, make_pg_url):
    url = make_pg_url(load=True)
    with postgres.connect(url) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-ghost', 'l-sql-1')")
    checked = cli("check", "--db", url)
    assert checked.returncode == 1
    assert "FAIL foreign keys point at rows\n     progress: 1 row(s) whose user_id has no row in " \
           "users" in checked.stdout
    assert checked.stderr.count("\n") == 1 and "orphan rows" in checked.stderr
