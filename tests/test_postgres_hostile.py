"""PostgreSQL against hostile files, databases and URLs: what SQLite refuses is refused here too.

Each test is a finding of an adversarial review: a migration that rewrites another version's
record or turns foreign keys off for the files after it, `status` and `check` with a file
renamed or gone, orphan rows behind valid constraints, `check` over a password, a socket
directory, a role without CREATEDB or a lost connection, search before 010, `load`'s lines.
"""

import psycopg
import pytest

from courselab import migrate, pg_checks, pg_data, pg_scratch, postgres
from courselab.errors import CourselabError, FixtureError, MigrationError
from tests.test_postgres import PG_MIGRATIONS, _copy_migrations

LAST = migrate.discover(PG_MIGRATIONS)[-1]  # the newest migration
NEXT = f"{int(LAST.version) + 1:03d}"  # a version no file has


@pytest.fixture
def role(pg_cluster):
    """role(name, *options) -> a new login role, dropped (with its grants) after the test."""
    made = []

    def make(name, *options):
        with postgres.connect(pg_cluster.url()) as admin:
            admin.execute(f"CREATE ROLE {name} LOGIN {' '.join(options)}")
        made.append(name)
        return name
    yield make
    with postgres.connect(pg_cluster.url()) as admin:
        databases = [d for (d,) in admin.execute("SELECT datname FROM pg_database "
                                                 "WHERE datname LIKE 't\\_%'")]
    for database in databases:
        with postgres.connect(pg_cluster.url(database)) as conn:
            for name in made:
                conn.execute(f"DROP OWNED BY {name}")
    with postgres.connect(pg_cluster.url()) as admin:
        for name in made:
            admin.execute(f"DROP ROLE {name}")


def _scratch_databases(conn):
    return conn.execute("SELECT datname FROM pg_database "
                        "WHERE datname LIKE 'courselab\\_scratch\\_%'").fetchall()


def _add(directory, name, *lines):
    (directory / name).write_text("BEGIN;\n" + "\n".join(lines) + "\nCOMMIT;\n")


@pytest.mark.parametrize("change", ["DELETE FROM schema_migrations WHERE version = '001';",
                                    "UPDATE schema_migrations SET name = 'x' "
                                    "WHERE version = '002';"])
def test_a_migration_that_changes_another_versions_record_is_refused(loaded, tmp_path, change):
    directory = _copy_migrations(tmp_path)
    _add(directory, f"{NEXT}_x.sql",
         f"INSERT INTO schema_migrations (version, name) VALUES ('{NEXT}', 'x');", change)
    before = postgres.applied(loaded)
    with pytest.raises(MigrationError,
                       match=rf"{NEXT}_x.sql: also changes the row of version 00[12]"):
        postgres.migrate_up(loaded, directory)
    assert postgres.applied(loaded) == before


@pytest.mark.parametrize("switch", ["SET session_replication_role = replica;",
                                    "set local SESSION_REPLICATION_ROLE to 'replica';",
                                    "SELECT set_config('session_replication_role', 'replica', "
                                    "false);",
                                    "ALTER TABLE enrollments DISABLE TRIGGER ALL;",
                                    "ALTER TABLE progress DISABLE TRIGGER USER;"])
def test_a_migration_cannot_turn_foreign_keys_off_for_the_files_after_it(loaded, tmp_path, switch):
    directory = _copy_migrations(tmp_path)
    _add(directory, f"{NEXT}_x.sql", "CREATE TABLE first (id TEXT);", switch,
         f"INSERT INTO schema_migrations (version, name) VALUES ('{NEXT}', 'x');")
    with pytest.raises(MigrationError, match=rf"{NEXT}_x.sql:3: (sets session_replication_role|"
                                             r"disables trigger)"):
        postgres.migrate_up(loaded, directory)
    assert loaded.execute("SHOW session_replication_role").fetchone()[0] == "origin"
    assert loaded.execute("SELECT COUNT(*) FROM pg_trigger "
                          "WHERE tgenabled <> 'O'").fetchone()[0] == 0
    _add(directory, f"{NEXT}_x.sql", "INSERT INTO enrollments (user_id, course_id) "
         "VALUES ('u-ghost', 'c-ghost');",
         f"INSERT INTO schema_migrations (version, name) VALUES ('{NEXT}', 'x');")
    with pytest.raises(MigrationError, match=rf"{NEXT}_x.sql:2: .*foreign key"):
        postgres.migrate_up(loaded, directory)


def test_rollback_to_a_version_above_the_current_one_is_refused(pg):
    postgres.migrate_up(pg, to="001")
    with pytest.raises(MigrationError, match="database is at 001, below 002; use migrate to go up"):
        postgres.rollback(pg, to="002")


def test_status_shows_renamed_unverified_and_missing_as_on_sqlite(loaded, tmp_path):
    directory = _copy_migrations(tmp_path)
    for path in directory.glob("005_create_enrollments*"):
        path.rename(path.with_name(path.name.replace("enrollments", "enrollmentz")))
    for path in directory.glob(f"{LAST.version}_*"):
        path.unlink()
    loaded.execute("UPDATE schema_migrations SET checksum = NULL WHERE version = '002'")
    states = {m.version: state for m, state in postgres.status(loaded, directory)}
    assert (states["001"], states["002"], states["005"], states[LAST.version]) == (
        "applied", "unverified", "renamed", "missing")


def test_check_names_an_applied_migration_whose_file_is_gone_and_runs_every_check(
        loaded, tmp_path):
    directory = _copy_migrations(tmp_path)
    for path in directory.glob(f"{LAST.version}_*"):
        path.unlink()
    results = {r.name: r.problems for r in pg_data.run_checks(loaded, directory)}
    assert results["applied migrations match their files"] == [
        f"version {LAST.version} ({LAST.name}) is applied but has no file; restore its "
        "file or roll back with the migrations that had it"]
    assert len(results) == 5 and results["counters equal their aggregates"] == []
    assert results["schema matches the applied migrations"] == []  # not compared: no file


def test_check_finds_orphan_rows_left_while_foreign_keys_were_off(loaded):
    with loaded.transaction():
        loaded.execute("SET LOCAL session_replication_role = replica")
        loaded.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-ada', 'l-ghost')")
    problems = {r.name: r.problems for r in pg_data.run_checks(loaded)}
    found = problems["foreign keys point at rows"]
    assert len(found) == 1 and found[0].startswith(
        "progress: 1 row(s) whose lesson_id has no row in lessons (e.g. SELECT"), found
    example = found[0].split("(e.g. ", 1)[1][:-1]
    assert [row[:2] for row in loaded.execute(example)] == [("u-ada", "l-ghost")]


def test_check_connects_with_the_urls_password_and_leaves_no_scratch_database(
        pg_cluster, make_pg_url, role):
    hba = pg_cluster.data / "pg_hba.conf"
    original = hba.read_text()
    name = role("courselab_pw", "CREATEDB", "PASSWORD 's3cret'")
    hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n{original}")
    try:
        with postgres.connect(pg_cluster.url()) as admin:
            admin.execute("SELECT pg_reload_conf()")
        url = make_pg_url(load=True)
        with postgres.connect(url) as owner:
            owner.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}")
        with pytest.raises(CourselabError, match="password"):
            postgres.connect(url.replace(f"{pg_cluster.user}@", f"{name}@"))
        with postgres.connect(url.replace(f"{pg_cluster.user}@", f"{name}:s3cret@")) as conn:
            assert [(r.name, r.problems) for r in pg_data.run_checks(conn) if not r.ok] == []
            assert _scratch_databases(conn) == []
    finally:
        hba.write_text(original)
        with postgres.connect(pg_cluster.url()) as admin:
            admin.execute("SELECT pg_reload_conf()")


def test_check_connects_through_a_socket_directory(pg_cluster, make_pg_url):
    url = make_pg_url(load=True)
    database = url.rsplit("/", 1)[1]
    socket = f"postgresql://{pg_cluster.user}@/{database}?host={pg_cluster.root}&port={pg_cluster.port}"
    with postgres.connect(socket) as conn:
        assert [(r.name, r.problems) for r in pg_data.run_checks(conn) if not r.ok] == []


def test_check_without_createdb_runs_every_other_check_and_says_what_is_missing(
        pg_cluster, make_pg_url, role):
    name = role("courselab_nocreate")
    url = make_pg_url(load=True)
    with postgres.connect(url) as owner:
        owner.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}")
    with postgres.connect(url.replace(f"{pg_cluster.user}@", f"{name}@")) as conn:
        failed = [r for r in pg_data.run_checks(conn) if not r.ok]
    assert [r.name for r in failed] == ["schema matches the applied migrations"]
    assert failed[0].problems == [f"could not be checked: role {name} may not create the scratch "
                                  "database it is compared with (permission denied to create "
                                  "database)"]
    assert failed[0].fix == (f"schema: run check as a role with CREATEDB "
                             f"(ALTER ROLE {name} CREATEDB)")


def test_a_connection_lost_during_check_leaves_no_scratch_database(
        loaded, pg_cluster, monkeypatch):
    migrate_up = postgres.migrate_up

    def lose_the_connection(fresh, *args, **kwargs):
        with postgres.connect(pg_cluster.url()) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (loaded.info.backend_pid,))
        return migrate_up(fresh, *args, **kwargs)

    monkeypatch.setattr(pg_checks.postgres, "migrate_up", lose_the_connection)
    with pytest.raises(psycopg.OperationalError):
        pg_data.run_checks(loaded)
    with postgres.connect(pg_cluster.url()) as admin:
        assert _scratch_databases(admin) == []


def test_check_drops_a_scratch_database_an_earlier_check_left_behind(loaded, pg_cluster):
    stale = f"{pg_scratch.PREFIX}1000000000_0123abcd"  # created in 2001
    fresh = f"{pg_scratch.PREFIX}9999999999_0123abcd"  # not stale for centuries
    with postgres.connect(pg_cluster.url()) as admin:
        for name in (stale, fresh):
            admin.execute(f"CREATE DATABASE {name}")
        assert pg_checks.schema_drift(loaded) == []
        assert _scratch_databases(admin) == [(fresh,)]
        admin.execute(f"DROP DATABASE {fresh}")


@pytest.mark.parametrize("to", [None, "005"], ids=["version-0", "before-010"])
def test_search_before_010_says_to_migrate_and_text_without_a_word_finds_nothing(pg, to):
    if to:
        postgres.migrate_up(pg, to=to)
    with pytest.raises(CourselabError, match=r"^no search index in this database; "
                                             r"migrate to 010 first$"):
        pg_data.search_courses(pg, "sql")
    assert pg_data.search_courses(pg, "!!!") == []


def test_a_nul_byte_in_search_text_separates_words(loaded):
    assert pg_data.search_courses(loaded, "sql\x00") == pg_data.search_courses(loaded, "sql")
    assert pg_data.search_courses(loaded, "sql\x00")


def test_load_names_the_files_own_line_of_a_refused_row(loaded, tmp_path):
    (tmp_path / "users.csv").write_text(
        'id,name,email,created_at\nu-a,"A\nB",a@x.org,2026-01-05 09:00:00\n'
        "u-b,B,b@x.org,2026-01-05 09:00:00\nu-c,C,a@x.org,2026-01-05 09:00:00\n")
    count = loaded.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    with pytest.raises(FixtureError, match=r"^users.csv:5: duplicate key value violates unique "
                                           r"constraint \"users_email_key\" \(Key \(email\)"):
        pg_data.load(loaded, tmp_path)
    assert loaded.execute("SELECT COUNT(*) FROM users").fetchone()[0] == count


def test_load_refuses_an_unknown_column_even_with_a_quote_in_its_name(loaded, tmp_path):
    (tmp_path / "users.csv").write_text('id,na"me,email,created_at\nu-a,A,a@x,2026-01-05\n')
    with pytest.raises(FixtureError, match=r"^users.csv:1: unknown column 'na\"me' for table "
                                           r"users \(it has: id, name, email"):
        pg_data.load(loaded, tmp_path)
