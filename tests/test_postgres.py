"""The platform on a real PostgreSQL server: the runner's rules, COPY loading, the queries.

The server is a throwaway cluster started by courselab/pgserver.py (skipped, with a line
saying how to enable it, where PostgreSQL is not installed; under CI it must run).
"""

import socket
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from courselab import migrate, pg_data, pgserver, postgres, progress_counters, queries
from courselab.errors import MigrationError

PG_MIGRATIONS = postgres.MIGRATIONS_DIR


def _head():
    return migrate.discover(PG_MIGRATIONS)[-1].version


def _copy_migrations(tmp_path, upto=None):
    target = tmp_path / "pg_migrations"
    target.mkdir()
    for path in sorted(PG_MIGRATIONS.glob("*.sql")):
        if upto is None or path.name[:3] <= upto:
            (target / path.name).write_bytes(path.read_bytes())
    return target


def test_a_server_whose_port_is_taken_before_it_binds_it_starts_on_another(pg_cluster,
                                                                        monkeypatch):
    free_port = pgserver._free_port
    with socket.socket() as held:  # another program takes the port once it was chosen
        held.bind(("127.0.0.1", 0))
        held.listen()
        ports = iter([held.getsockname()[1]])
        monkeypatch.setattr(pgserver, "_free_port", lambda: next(ports, None) or free_port())
        cluster = pgserver.Cluster().start()
        try:
            assert cluster.port != held.getsockname()[1]
            with psycopg.connect(cluster.url()) as conn:
                assert conn.execute("SELECT 6 * 7").fetchone() == (42,)
        finally:
            cluster.stop()


@pytest.mark.parametrize("reaped", [True, False])
def test_a_server_stops_and_its_folder_goes_once_its_owner_has_ended(pg_cluster, reaped):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    cluster = pgserver.Cluster().start(owner=owner.pid)
    owner.kill()
    if reaped:
        owner.wait()  # else a zombie until the end of the test: ended, not yet reaped
    try:
        for _ in range(300):
            if not cluster.folder.exists():
                break
            time.sleep(0.1)
        assert not cluster.folder.exists()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(cluster.url(), connect_timeout=5)
    finally:
        owner.wait()


def test_every_sqlite_migration_has_a_postgresql_twin_with_the_same_number_and_name():
    sqlite = [(m.version, m.name, m.down is not None) for m in migrate.discover()]
    postgresql = [(m.version, m.name, m.down is not None) for m in migrate.discover(PG_MIGRATIONS)]
    assert postgresql == sqlite[:len(postgresql)]
    assert all(has_down for _v, _n, has_down in postgresql)


def test_migrate_applies_every_file_once_and_records_its_checksum(pg):
    done = postgres.migrate_up(pg)
    assert [m.version for m in done] == [m.version for m in migrate.discover(PG_MIGRATIONS)]
    recorded = postgres.applied(pg)
    assert {v: c for v, (_n, c) in recorded.items()} == {m.version: m.checksum for m in done}
    assert postgres.migrate_up(pg) == []


def test_rollback_to_zero_and_migrate_again_round_trips(pg):
    postgres.migrate_up(pg)
    postgres.rollback(pg, to=0)
    assert postgres.applied(pg) == {}
    tables = pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'schema_migrations'").fetchall()
    assert tables == []
    assert len(postgres.migrate_up(pg)) == int(_head())


def test_rollback_refuses_to_delete_rows_without_force(loaded):
    with pytest.raises(MigrationError, match=r"would delete \d+ rows of bookmarks; pass --force"):
        postgres.rollback(loaded, to="013")
    assert postgres.current_version(loaded) == _head()
    assert loaded.execute("SELECT COUNT(*) FROM bookmarks").fetchone()[0] > 0
    postgres.rollback(loaded, to="013", force=True)
    assert postgres.current_version(loaded) == "013"


def test_a_failing_migration_changes_nothing_and_names_file_and_line(pg, tmp_path):
    directory = _copy_migrations(tmp_path, upto="001")
    (directory / "002_break_things.sql").write_text(
        "BEGIN;\nCREATE TABLE half (id TEXT);\n\nINSERT INTO nowhere VALUES (1);\n"
        "INSERT INTO schema_migrations (version, name) VALUES ('002', 'break_things');\n"
        "COMMIT;\n")
    with pytest.raises(MigrationError, match=r"002_break_things.sql:4: .*nowhere"):
        postgres.migrate_up(pg, directory)
    assert postgres.current_version(pg) == "001"
    assert pg.execute("SELECT to_regclass('half')").fetchone()[0] is None


@pytest.mark.parametrize("stray", ["COMMIT;", "/* done */ COMMIT;", "ROLLBACK;", "END;",
                                   "commit\ttransaction;", "SAVEPOINT s;", "BEGIN;"])
def test_a_transaction_statement_mid_file_is_refused_before_anything_runs(pg, tmp_path, stray):
    directory = _copy_migrations(tmp_path, upto="001")
    (directory / "002_sneaky.sql").write_text(
        f"BEGIN;\nCREATE TABLE first (id TEXT);\n{stray}\nCREATE TABLE second (id TEXT);\n"
        "INSERT INTO schema_migrations (version, name) VALUES ('002', 'sneaky');\nCOMMIT;\n")
    with pytest.raises(MigrationError, match=r"002_sneaky.sql:3: .*would end the runner"):
        postgres.migrate_up(pg, directory)
    assert pg.execute("SELECT to_regclass('first')").fetchone()[0] is None


def test_an_edited_applied_migration_is_refused(pg, tmp_path):
    directory = _copy_migrations(tmp_path, upto="002")
    postgres.migrate_up(pg, directory)
    path = directory / "002_create_courses_and_sections.sql"
    path.write_text(path.read_text().replace("position  INTEGER", "position  BIGINT"))
    with pytest.raises(MigrationError, match="002_create_courses_and_sections.sql was edited"):
        postgres.migrate_up(pg, directory)


def test_a_migration_must_record_exactly_its_own_version(pg, tmp_path):
    directory = _copy_migrations(tmp_path, upto="001")
    (directory / "002_forgetful.sql").write_text("BEGIN;\nCREATE TABLE t (id TEXT);\nCOMMIT;\n")
    with pytest.raises(MigrationError, match="must end with INSERT INTO schema_migrations"):
        postgres.migrate_up(pg, directory)
    assert pg.execute("SELECT to_regclass('t')").fetchone()[0] is None


def test_concurrent_migrates_apply_each_version_once(pg_url):
    results, errors = [], []

    def run():
        try:
            with postgres.connect(pg_url) as conn:
                results.append([m.version for m in postgres.migrate_up(conn)])
        except Exception as exc:  # reported below: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    applied = sorted(v for run_versions in results for v in run_versions)
    assert applied == [m.version for m in migrate.discover(PG_MIGRATIONS)]


def test_copy_loads_the_fixtures_with_the_counts_sqlite_loads(loaded, db):
    for table in pg_data.load_order(loaded):
        pg_count = loaded.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        sqlite_count = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        assert pg_count == sqlite_count, table


def _rows(rows):
    return [tuple(float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int)
                  else v for v in row) for row in rows]


@pytest.mark.parametrize("query, params", [
    (queries.CATALOG + ", id", ()),
    (queries.COURSE_DETAIL, ("c-sql",)),
    (queries.USER_PROGRESS + "ORDER BY c.title", ("u-ada",)),
])
def test_the_course_texts_queries_return_the_same_rows_on_both_engines(loaded, db, query, params):
    on_postgres = loaded.execute(query.replace("?", "%s"), params).fetchall()
    on_sqlite = db.execute(query, params).fetchall()
    assert on_postgres
    assert _rows(on_postgres) == _rows(on_sqlite)


@pytest.mark.parametrize("text", ["SQL joins", "sql", "databases", "python", "design",
                                  "performance indexes", "nothing-matches-this",
                                  "data-analysis", "text-search", "pandas/matplotlib",
                                  "query.plans", "http://sql", "SELECT,filtering"])
def test_search_finds_the_same_published_courses_as_sqlite(loaded, db, text):
    from courselab.search import search_courses

    on_postgres = {row[0] for row in pg_data.search_courses(loaded, text, 100)}
    assert on_postgres == {row["id"] for row in search_courses(db, text, 100)}
    published = dict(loaded.execute("SELECT id, is_published FROM courses").fetchall())
    assert all(published[c] == 1 for c in on_postgres)


def test_an_unpublished_course_is_never_found_even_by_its_own_title(loaded):
    titles = loaded.execute("SELECT title FROM courses WHERE is_published = 0").fetchall()
    assert titles
    for (title,) in titles:
        assert pg_data.search_courses(loaded, title) == []


@pytest.mark.parametrize("text", ['"', "sql AND (", "NOT", "a:b", "' OR 1=1 --", "!!", "",
                                  "sql & | ! <->", "*"])
def test_search_takes_any_user_text_without_error(loaded, text):
    assert isinstance(pg_data.search_courses(loaded, text), list)


def test_check_is_green_on_a_fresh_loaded_database(loaded):
    assert [r.name for r in pg_data.run_checks(loaded) if not r.ok] == []


def test_check_finds_counters_wrong_while_their_triggers_are_disabled(loaded):
    loaded.execute("ALTER TABLE enrollments DISABLE TRIGGER USER")
    loaded.execute("DELETE FROM enrollments WHERE course_id = 'c-sql'")
    problems = {r.name: r.problems for r in pg_data.run_checks(loaded)}
    assert any("c-sql: enrollment_count" in p for p in problems["counters equal their aggregates"])
    assert any("disabled" in p for p in problems["foreign keys point at rows"])
    loaded.execute("ALTER TABLE enrollments ENABLE TRIGGER USER")
    assert pg_data.repair(loaded)
    assert pg_data.counter_drift(loaded) == []


def test_check_finds_and_repair_fixes_a_progress_counter_and_a_title_copy(loaded):
    loaded.execute("ALTER TABLE enrollments DISABLE TRIGGER USER")
    loaded.execute("UPDATE enrollments SET lessons_done = lessons_done + 5, course_title = 'x' "
                   "WHERE user_id = 'u-ada' AND course_id = 'c-sql'")
    loaded.execute("ALTER TABLE enrollments ENABLE TRIGGER USER")
    drift = pg_data.counter_drift(loaded)
    assert any(p.startswith("enrollment u-ada/c-sql: lessons_done is") for p in drift), drift
    assert any("course_title is x" in p for p in drift), drift
    assert pg_data.repair(loaded)
    assert pg_data.counter_drift(loaded) == []


def test_the_name_copies_follow_a_renamed_user_a_new_and_a_rekeyed_enrollment(loaded):
    def names(user):
        return {r[0] for r in loaded.execute(
            "SELECT user_name FROM enrollments WHERE user_id = %s", (user,))}

    loaded.execute("UPDATE users SET name = 'Countess Lovelace' WHERE id = 'u-ada'")
    assert names("u-ada") == {"Countess Lovelace"}
    loaded.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-edgar', 'c-perf')")
    assert names("u-edgar") == {"Edgar Codd"}
    loaded.execute("UPDATE enrollments SET user_id = 'u-alan' "
                   "WHERE user_id = 'u-edgar' AND course_id = 'c-perf'")
    assert names("u-alan") == {"Alan Turing"}
    assert pg_data.counter_drift(loaded) == []


def test_check_finds_and_repair_fixes_a_stale_name_copy(loaded):
    loaded.execute("ALTER TABLE users DISABLE TRIGGER USER")
    loaded.execute("UPDATE users SET name = 'Grace B. Hopper' WHERE id = 'u-grace'")
    loaded.execute("ALTER TABLE users ENABLE TRIGGER USER")
    drift = pg_data.counter_drift(loaded)
    assert any(p.startswith("enrollment u-grace/") and "user_name is Grace Hopper" in p
               for p in drift), drift
    assert pg_data.repair(loaded)
    assert pg_data.counter_drift(loaded) == []


def test_check_names_a_course_sum_off_its_enrollments_and_repair_sets_it_back(loaded):
    truth = loaded.execute("SELECT lessons_done_sum FROM courses WHERE id = 'c-sql'").fetchone()[0]
    loaded.execute("ALTER TABLE courses DISABLE TRIGGER USER")
    loaded.execute("UPDATE courses SET lessons_done_sum = lessons_done_sum + 3 WHERE id = 'c-sql'")
    loaded.execute("ALTER TABLE courses ENABLE TRIGGER USER")
    assert pg_data.counter_drift(loaded) == [
        f"course c-sql: lessons_done_sum is {truth + 3}, expected {truth}"]
    assert pg_data.repair(loaded)
    assert loaded.execute("SELECT lessons_done_sum FROM courses "
                          "WHERE id = 'c-sql'").fetchone()[0] == truth


def test_a_progress_insert_moves_the_sums_the_dashboard_reads(loaded):
    user, course, lesson = loaded.execute(
        "SELECT e.user_id, e.course_id, MIN(l.id) FROM enrollments e "
        "JOIN sections s ON s.course_id = e.course_id JOIN lessons l ON l.section_id = s.id "
        "WHERE l.id NOT IN (SELECT lesson_id FROM progress p WHERE p.user_id = e.user_id) "
        "GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 1").fetchone()
    sums = "SELECT lessons_done_sum FROM courses WHERE id = %s"
    before = loaded.execute(sums, (course,)).fetchone()[0]
    loaded.execute("INSERT INTO progress (user_id, lesson_id) VALUES (%s, %s)", (user, lesson))
    assert loaded.execute(sums, (course,)).fetchone()[0] == before + 1


@pytest.mark.parametrize("damage, expected", [
    ("DROP INDEX idx_reviews_user_id", "index idx_reviews_user_id is missing"),
    ("DROP TRIGGER lesson_count_update ON lessons", "trigger lesson_count_update is missing"),
    ("DROP INDEX courses_fts", "courses_fts"),
    ("DROP TRIGGER lessons_done_lesson_delete ON lessons",
     "trigger lessons_done_lesson_delete is missing"),
    ("CREATE INDEX mine ON users(name)", "index mine is not made by any applied migration"),
])
def test_check_reports_schema_drift_from_the_applied_migrations(loaded, damage, expected):
    loaded.execute(damage)
    problems = [p for r in pg_data.run_checks(loaded) for p in r.problems]
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("to", [None, progress_counters.version()],
                         ids=["newest", "before-the-name-copy"])
def test_generate_on_postgresql_loads_the_rows_sqlite_loads_with_exact_counters(pg, make_db, to):
    from courselab import generate, pg_generate

    postgres.migrate_up(pg, to=to)
    on_postgres = pg_generate.generate_into(pg, "class", seed=3)
    sqlite = make_db(load=False)
    assert on_postgres == generate.generate(sqlite, "class", seed=3)
    assert pg_data.counter_drift(pg) == []
    catalog = queries.CATALOG + ", id LIMIT 20"
    assert _rows(pg.execute(catalog).fetchall()) == _rows(sqlite.execute(catalog).fetchall())
    assert [r.name for r in pg_data.run_checks(pg) if not r.ok] == []


def test_each_down_file_restores_exactly_the_schema_of_the_version_below(pg, pg_url):
    versions = [m.version for m in migrate.discover(PG_MIGRATIONS)]
    expected = {}
    with pg_data.scratch_database(pg) as fresh:
        for version in versions:
            postgres.migrate_up(fresh, to=version)
            expected[version] = pg_data.schema(fresh)
    postgres.migrate_up(pg)
    for below in reversed(["0", *versions[:-1]]):
        postgres.rollback(pg, to=below)
        found = pg_data.schema(pg)
        want = expected.get(below, {k: v for k, v in expected[versions[0]].items()
                                    if k[1].startswith("schema_migrations")})
        assert found == want, f"rolled back to {below}"


def test_a_postgresql_file_edited_between_two_reads_is_read_anew(tmp_path):
    path = tmp_path / "001_create_a.sql"
    path.write_text("BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\n")
    assert postgres.statements(path) == [(2, "CREATE TABLE a (x int);")]
    path.write_text("BEGIN;\n\nCREATE TABLE a (y int);\nCOMMIT;\n")
    assert postgres.statements(path) == [(3, "CREATE TABLE a (y int);")]
