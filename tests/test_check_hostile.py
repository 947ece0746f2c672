"""`courselab check` and `--repair` on databases changed by hand in hostile ways.

Each test is one reproduction of the adversarial report on check: repair loses no data,
the bookkeeping of schema_migrations is checked, odd bytes give one line, a writer is waited for.
"""

import sqlite3
import threading
import time

import pytest

from courselab import checks, migrate

from .test_check import db_path as db_path  # the fixture: the file of `db`
from .test_check import last_line, no_traceback, raw

HEAD = migrate.discover()[-1].version  # the newest migration
NEXT = f"{int(HEAD) + 1:03d}"  # a version no file has


def shell(path, sql):
    """Run `sql` as a student's sqlite3 session would: foreign keys off."""
    conn = raw(path)
    conn.executescript(sql)
    conn.close()


def test_repair_refuses_to_write_through_a_trigger_the_migrations_do_not_create(cli, db,
                                                                                 db_path):
    shell(db_path, """CREATE TRIGGER audit AFTER UPDATE OF enrollment_count ON courses
                      BEGIN DELETE FROM reviews WHERE course_id = NEW.id; END;
                      DROP TRIGGER enrollment_count_insert;
                      INSERT INTO enrollments (user_id, course_id) VALUES ('u-edgar', 'c-sql');""")
    before = list(db.iterdump())
    result = cli("check", "--db", db_path, "--repair")
    assert result.returncode == 1 and no_traceback(result)
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert "changed nothing" in result.stderr and "trigger audit" in result.stderr
    assert list(db.iterdump()) == before
    assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 7


def test_repair_rewrites_only_the_courses_whose_counters_drifted(db):
    db.execute("UPDATE courses SET enrollment_count = 99 WHERE id = 'c-sql'")
    db.execute("CREATE TEMP TABLE updated (id TEXT)")
    db.execute("CREATE TEMP TRIGGER seen AFTER UPDATE ON main.courses "
               "BEGIN INSERT INTO updated VALUES (NEW.id); END")
    assert checks.repair(db) == ["fixed course c-sql: enrollment_count is 99, expected 4"]
    assert [r[0] for r in db.execute("SELECT id FROM updated")] == ["c-sql"]


def test_repair_keeps_the_copied_title_and_name_of_orphan_enrollments(cli, db, db_path):
    query = ("SELECT user_id, course_id, course_title, user_name FROM enrollments "
             "WHERE course_id = 'c-sql' OR user_id = 'u-ada' ORDER BY 1, 2")
    shell(db_path, """DELETE FROM courses WHERE id = 'c-sql';
                      DELETE FROM users WHERE id = 'u-ada';
                      UPDATE courses SET enrollment_count = 99 WHERE id = 'c-design';""")
    before = [tuple(r) for r in db.execute(query)]
    result = cli("check", "--db", db_path, "--repair")
    assert "repair: fixed course c-design: enrollment_count is 99" in result.stdout
    assert "orphan rows" in last_line(result)
    assert [tuple(r) for r in db.execute(query)] == before
    assert all(None not in row for row in before)


@pytest.mark.parametrize("forget", ["DELETE FROM schema_migrations",
                                    "DROP TABLE schema_migrations"])
def test_check_fails_when_no_version_is_recorded_but_the_tables_are_there(cli, db_path, forget):
    shell(db_path, f"""{forget}; DROP TRIGGER enrollment_count_insert;
                       UPDATE courses SET enrollment_count = 99;""")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result)
    assert "schema_migrations records no version, yet the database holds" in result.stdout
    assert "restore schema_migrations from a backup" in result.stdout
    assert "course c-sql: enrollment_count is 99, expected 4" in result.stdout
    assert f"compared with the schema of version {HEAD}" in result.stdout
    assert "trigger enrollment_count_insert is missing" in result.stdout


@pytest.mark.parametrize("records", [
    "DELETE FROM schema_migrations WHERE version = '005'",
    f"INSERT INTO schema_migrations (version, name) VALUES ('{NEXT}', 'future')",
], ids=["gap", "unknown"])
def test_check_still_compares_the_schema_when_a_version_is_missing_or_unknown(cli, db_path,
                                                                             records):
    shell(db_path, f"""{records}; DROP TRIGGER enrollment_count_insert;
                       DROP INDEX idx_courses_catalog;""")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result)
    assert "FAIL applied migrations match their files" in result.stdout
    assert "FAIL schema matches the applied migrations" in result.stdout
    assert f"compared with the schema of version {HEAD}, the highest recorded" in result.stdout
    assert "trigger enrollment_count_insert is missing" in result.stdout
    assert "index idx_courses_catalog is missing" in result.stdout
    if "DELETE" in records:
        assert "INSERT INTO schema_migrations (version, name) VALUES ('005', " in result.stdout


@pytest.mark.parametrize("args", [(), ("--repair",)])
def test_a_version_stored_as_a_blob_is_one_problem_not_a_traceback(cli, db_path, args):
    shell(db_path, f"UPDATE schema_migrations SET version = X'{HEAD.encode().hex()}' "
                   f"WHERE version = '{HEAD}'")
    result = cli("check", "--db", db_path, *args)
    assert result.returncode == 1 and no_traceback(result), result.stderr
    assert f"version b'{HEAD}' is stored as blob, not as text" in result.stdout
    assert "ok   schema matches the applied migrations" in result.stdout
    assert len(result.stderr.splitlines()) == 1
    status = cli("status", "--db", db_path)
    assert status.returncode == 0 and no_traceback(status), status.stderr
    assert f"missing  b'{HEAD}'" in status.stdout and f"pending  {HEAD}" in status.stdout


def test_a_copy_that_is_not_valid_utf8_is_drift_that_repair_fixes(cli, db, db_path):
    shell(db_path, "UPDATE enrollments SET course_title = CAST(X'41FF42' AS TEXT) "
                   "WHERE user_id = 'u-ada' AND course_id = 'c-sql'")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result), result.stderr
    assert ("course c-sql, user u-ada: the copy of the course's title is not "
            "'SQL Fundamentals'") in result.stdout
    repaired = cli("check", "--db", db_path, "--repair")
    assert repaired.returncode == 0 and no_traceback(repaired), repaired.stderr
    assert db.execute("SELECT course_title FROM enrollments WHERE user_id = 'u-ada' "
                      "AND course_id = 'c-sql'").fetchone()[0] == "SQL Fundamentals"


@pytest.mark.parametrize("args", [(), ("--repair",)])
def test_check_waits_for_a_short_writer_instead_of_saying_busy(cli, db_path, args):
    writer = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE courses SET review_count = review_count")
    release = threading.Timer(1.0, lambda: writer.execute("ROLLBACK"))
    start = time.monotonic()
    release.start()
    try:
        result = cli("check", "--db", db_path, *args)
    finally:
        release.join()
        writer.close()
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - start >= 0.9  # it waited for the writer


def test_search_index_damage_beyond_rebuild_is_not_sent_to_repair(cli, db, db_path):
    shell(db_path, """DELETE FROM courses_fts_config;
                      UPDATE courses SET enrollment_count = 99 WHERE id = 'c-sql';""")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result)
    assert "FTS5's 'rebuild' fails" in result.stdout
    assert "rebuilds it" not in last_line(result)
    assert "restore the file from a backup" in last_line(result)
    repaired = cli("check", "--db", db_path, "--repair")
    assert repaired.returncode == 1 and no_traceback(repaired)
    assert "repair: fixed course c-sql: enrollment_count is 99, expected 4" in repaired.stdout
    assert "repair: search index not rebuilt: FTS5 refuses" in repaired.stdout
    assert db.execute("SELECT enrollment_count FROM courses WHERE id = 'c-sql'").fetchone()[0] == 4


def test_search_index_damage_that_rebuild_fixes_is_still_sent_to_repair(cli, db, db_path):
    db.execute("INSERT INTO courses_fts(courses_fts, rowid, title, description) "
               "SELECT 'delete', rowid, title, description FROM courses WHERE id = 'c-perf'")
    result = cli("check", "--db", db_path)
    assert "search index: `courselab check --repair` rebuilds it" in last_line(result)
    assert cli("check", "--db", db_path, "--repair").returncode == 0
