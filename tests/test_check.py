"""`courselab check` finds every broken invariant, names it precisely, and `--repair` fixes it."""

import shutil
import sqlite3

import pytest

from courselab import checks, migrate, schema_drift
from courselab.errors import DatabaseBusyError

COUNTERS = {
    "lesson_count": "SELECT COUNT(*) FROM lessons l JOIN sections s ON s.id = l.section_id "
                    "WHERE s.course_id = ?",
    "enrollment_count": "SELECT COUNT(*) FROM enrollments WHERE course_id = ?",
    "review_count": "SELECT COUNT(*) FROM reviews WHERE course_id = ?",
    "rating_sum": "SELECT SUM(rating) FROM reviews WHERE course_id = ?",
    "avg_rating": "SELECT AVG(rating) FROM reviews WHERE course_id = ?",
}


@pytest.fixture
def db_path(db):
    """The file of the `db` fixture (head, fixtures loaded), for the CLI."""
    return db.execute("PRAGMA database_list").fetchone()["file"]


def no_traceback(result):
    return "Traceback" not in result.stdout + result.stderr


def test_check_passes_on_the_fixtures_and_lists_each_invariant(cli, db_path):
    result = cli("check", "--db", db_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6 and all(line.startswith("ok ") for line in lines), lines


@pytest.mark.parametrize("make", [lambda path: path.write_bytes(b""),
                                  lambda path: sqlite3.connect(path).execute("CREATE TABLE t (x)")],
                         ids=["empty-file", "another-programs-database"])
def test_check_of_a_database_courselab_never_migrated_says_so_instead_of_ok(cli, tmp_path, make):
    path = tmp_path / "other.db"
    make(path)
    result = cli("check", "--db", path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"courselab check: {path}: no migration applied and none of "
                             "courselab's tables, so nothing to check: run `courselab migrate` "
                             "first\n")


def test_check_of_a_database_rolled_back_to_0_passes_it_is_still_courselabs(cli, tmp_path):
    path = tmp_path / "back.db"
    assert cli("migrate", "--db", path).returncode == 0
    assert cli("rollback", "--db", path, "--to", "0").returncode == 0
    result = cli("check", "--db", path)
    assert result.returncode == 0, result.stderr
    assert all(line.startswith("ok ") for line in result.stdout.splitlines())


@pytest.mark.parametrize("counter", COUNTERS)
def test_check_names_the_course_the_counter_and_expected_versus_found(cli, db, db_path, counter):
    (expected,) = db.execute(COUNTERS[counter], ("c-design",)).fetchone()
    found = expected + 3
    db.execute(f"UPDATE courses SET {counter} = ? WHERE id = 'c-design'", (found,))
    result = cli("check", "--db", db_path)
    assert result.returncode == 1
    assert f"course c-design: {counter} is {found}, expected {expected}" in result.stdout
    assert "FAIL counters equal their aggregates" in result.stdout
    assert len(result.stderr.splitlines()) == 1 and no_traceback(result)


def test_check_wants_avg_rating_null_for_a_course_without_reviews(cli, db, db_path):
    (unreviewed,) = db.execute("SELECT id FROM courses WHERE id NOT IN "
                               "(SELECT course_id FROM reviews) ORDER BY id").fetchone()
    db.execute("UPDATE courses SET avg_rating = 0 WHERE id = ?", (unreviewed,))
    result = cli("check", "--db", db_path)
    assert result.returncode == 1
    assert f"course {unreviewed}: avg_rating is 0.0, expected None" in result.stdout


def test_check_wants_an_average_for_a_reviewed_course(db):
    db.execute("UPDATE courses SET avg_rating = NULL WHERE id = 'c-sql'")
    # c-sql's fixture ratings are 5, 4 and 4.
    assert checks.counter_drift(db) == [f"course c-sql: avg_rating is None, expected {13 / 3}"]


def test_check_accepts_an_average_within_a_small_epsilon(db):
    db.execute("UPDATE courses SET avg_rating = avg_rating + 1e-12 WHERE id = 'c-sql'")
    assert checks.counter_drift(db) == []
    db.execute("UPDATE courses SET avg_rating = avg_rating + 1e-6 WHERE id = 'c-sql'")
    assert len(checks.counter_drift(db)) == 1


@pytest.mark.parametrize("damage", [
    "INSERT INTO courses_fts(courses_fts, rowid, title, description) "
    "SELECT 'delete', rowid, title, description FROM courses WHERE id = 'c-perf'",
    "INSERT INTO courses_fts(rowid, title, description) VALUES (999, 'ghost', 'ghost')",
    "UPDATE courses SET title = 'Renamed' WHERE id = 'c-perf'",
], ids=["entry-missing", "entry-extra", "entry-stale"])
def test_check_finds_a_search_index_that_differs_from_courses(cli, db, db_path, damage):
    if "UPDATE" in damage:  # change a title behind the index's back
        db.execute("DROP TRIGGER courses_fts_update")
    db.execute(damage)
    result = cli("check", "--db", db_path)
    assert result.returncode == 1
    assert "FAIL search index matches courses" in result.stdout
    assert "courses_fts does not match courses" in result.stdout


def test_check_finds_a_row_whose_foreign_key_points_at_nothing(cli, db_path):
    raw = sqlite3.connect(db_path)  # foreign keys OFF, as in a plain sqlite3 session
    raw.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-ghost', 'c-sql')")
    raw.commit()
    raw.close()
    result = cli("check", "--db", db_path)
    assert result.returncode == 1
    assert "FAIL foreign keys point at rows" in result.stdout
    assert "enrollments: 1 row(s) whose user_id has no row in users" in result.stdout
    assert "repair" not in result.stderr and "delete them" in result.stderr


def test_check_finds_an_applied_migration_edited_since(cli, tmp_path, db_path):
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    edited = directory / "008_add_indexes.sql"
    edited.write_text(edited.read_text().replace("ON courses(", "ON courses(created_at, ", 1))
    result = cli("check", "--db", db_path, "--migrations", directory)
    assert result.returncode == 1
    assert "FAIL applied migrations match their files" in result.stdout
    assert "008_add_indexes.sql was edited" in result.stdout


def test_check_finds_a_version_missing_below_the_top(cli, db, db_path):
    db.execute("DELETE FROM schema_migrations WHERE version = '005'")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1
    assert "version 005 (create_enrollments) is not applied" in result.stdout


def test_check_finds_an_applied_version_without_a_file(cli, tmp_path, db_path):
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    last = migrate.discover(directory)[-1]
    last.up.unlink()
    if last.down:
        last.down.unlink()
    result = cli("check", "--db", db_path, "--migrations", directory)
    assert result.returncode == 1
    assert f"version {last.version} ({last.name}) is applied but has no file" in result.stdout


def test_check_reports_a_damaged_file_without_a_traceback(cli, db, db_path):
    (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'courses'").fetchone()
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with open(db_path, "r+b") as f:  # scribble over the courses table's first page
        f.seek((root - 1) * page_size)
        f.write(b"\x0d\x00\x00\x00\x09\xff\xff\x00" + b"\xee" * 56)
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result), result.stderr
    assert "FAIL database file is intact" in result.stdout
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("version", ["005", "007", "008"])
def test_check_passes_below_009_where_counters_are_not_kept(cli, make_db, version):
    conn = make_db(to=version)
    path = conn.execute("PRAGMA database_list").fetchone()["file"]
    result = cli("check", "--db", path)
    assert result.returncode == 0, result.stdout
    assert checks.repair(conn) == []


def test_check_without_repair_changes_nothing(cli, db, db_path):
    db.execute("UPDATE courses SET enrollment_count = 99 WHERE id = 'c-sql'")
    before = list(db.iterdump())
    assert cli("check", "--db", db_path).returncode == 1
    assert list(db.iterdump()) == before


def test_repair_fixes_counters_and_the_index_and_says_what_it_changed(cli, db, db_path):
    db.execute("UPDATE courses SET lesson_count = 0, review_count = 9 WHERE id = 'c-sql'")
    db.execute("UPDATE courses SET avg_rating = 1.5 WHERE id = 'c-perf'")
    db.execute("INSERT INTO courses_fts(courses_fts, rowid, title, description) "
               "SELECT 'delete', rowid, title, description FROM courses WHERE id = 'c-design'")
    result = cli("check", "--db", db_path, "--repair")
    assert result.returncode == 0, result.stdout + result.stderr
    repairs = [line for line in result.stdout.splitlines() if line.startswith("repair:")]
    assert repairs == ["repair: fixed course c-perf: avg_rating is 1.5, expected 5.0",
                       "repair: fixed course c-sql: lesson_count is 0, expected 6",
                       "repair: fixed course c-sql: review_count is 9, expected 3",
                       "repair: courses_fts rebuilt from courses"]
    assert cli("check", "--db", db_path).returncode == 0
    assert [r.name for r in checks.run_checks(db) if not r.ok] == []


def test_repair_of_a_sound_database_changes_nothing(cli, db, db_path):
    before = list(db.iterdump())
    result = cli("check", "--db", db_path, "--repair")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "repair: nothing to repair"
    assert list(db.iterdump()) == before


def test_repair_that_fails_leaves_the_database_as_it_was(db):
    db.execute("UPDATE courses SET enrollment_count = 99 WHERE id = 'c-sql'")
    db.execute("INSERT INTO courses_fts(courses_fts, rowid, title, description) "
               "SELECT 'delete', rowid, title, description FROM courses WHERE id = 'c-perf'")
    # Make the counter update fail after the transaction began (a TEMP trigger: one in the
    # schema is drift, and repair would refuse before writing).
    db.execute("CREATE TEMP TRIGGER refuse BEFORE UPDATE OF enrollment_count ON main.courses "
               "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    before = list(db.iterdump())
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        checks.repair(db)
    assert list(db.iterdump()) == before
    assert not db.in_transaction


def test_check_works_on_a_database_at_the_version_before_the_search_index(make_db):
    conn = make_db(to="009")
    assert checks.fts_problems(conn) == []
    assert [r.name for r in checks.run_checks(conn) if not r.ok] == []


def test_search_sample_finds_a_course_among_many_with_the_same_title(db):
    db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) "
               "INSERT INTO courses (id, title, is_published) "
               "SELECT 'c-same-' || i, 'SQL Fundamentals', 1 FROM n")
    assert checks.fts_problems(db, sample=2000) == []



def raw(path):
    """A plain sqlite3 connection, as a student's shell session: foreign keys off."""
    return sqlite3.connect(path, isolation_level=None)


def last_line(result):
    return result.stderr.strip().splitlines()[-1]


def test_check_finds_wrong_counters_after_their_triggers_were_dropped(cli, db, db_path):
    for trigger in ("lesson_count_insert", "enrollment_count_insert", "review_stats_insert"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("UPDATE courses SET enrollment_count = 77")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result)
    assert "course c-sql: enrollment_count is 77, expected" in result.stdout
    assert "trigger enrollment_count_insert is missing" in result.stdout


@pytest.mark.parametrize("with_triggers", [False, True])
def test_check_finds_the_search_index_dropped(cli, db, db_path, with_triggers):
    if with_triggers:
        for name in ("courses_fts_insert", "courses_fts_delete", "courses_fts_update"):
            db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE courses_fts")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result)
    assert "table courses_fts is missing" in result.stdout
    assert "--repair" not in last_line(result) and "rebuild the database" in last_line(result)


@pytest.mark.parametrize("change, problem", [
    ("DROP INDEX idx_enrollments_course_id", "index idx_enrollments_course_id is missing"),
    ("DROP TRIGGER quiz_answers_question_in_quiz",
     "trigger quiz_answers_question_in_quiz is missing"),
    ("DROP TRIGGER enrollment_count_delete; CREATE TRIGGER enrollment_count_delete AFTER DELETE "
     "ON enrollments BEGIN SELECT 1; END", "trigger enrollment_count_delete differs"),
    ("CREATE INDEX idx_mine ON users(name)", "index idx_mine is not created by any applied"),
    ("DROP VIEW attempt_scores", "view attempt_scores is missing"),
])
def test_check_compares_the_schema_with_a_fresh_database_at_the_same_version(cli, db, db_path,
                                                                              change, problem):
    db.executescript(change)
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result)
    assert "FAIL schema matches the applied migrations" in result.stdout
    assert problem in result.stdout
    assert "--repair" not in last_line(result)


def test_schema_drift_is_judged_at_the_database_version_not_the_newest(make_db):
    conn = make_db(to="008")
    assert [r.name for r in checks.run_checks(conn) if not r.ok] == []
    conn.execute("DROP INDEX idx_courses_published")
    assert schema_drift.drift(conn) == ["index idx_courses_published is missing"]


@pytest.mark.parametrize("value", ["''", "'seven'", "2.5", str(2 ** 63 - 1),
                                   str(-2 ** 63), "x'00'"])
def test_odd_stored_counters_are_reported_and_repaired_without_a_traceback(cli, db, db_path,
                                                                           value):
    db.execute(f"UPDATE courses SET enrollment_count = {value}, avg_rating = {value} "
               "WHERE id = 'c-sql'")
    result = cli("check", "--db", db_path)
    assert result.returncode == 1 and no_traceback(result), result.stderr
    assert "course c-sql: enrollment_count is" in result.stdout
    repaired = cli("check", "--db", db_path, "--repair")
    assert repaired.returncode == 0 and no_traceback(repaired), repaired.stdout
    assert tuple(db.execute("SELECT typeof(enrollment_count), typeof(avg_rating) FROM courses "
                            "WHERE id = 'c-sql'").fetchone()) == ("integer", "real")


def test_repair_says_what_it_cannot_fix_and_fixes_the_rest(cli, db, db_path):
    db.execute("DROP TRIGGER enrollment_count_insert")
    db.execute("UPDATE courses SET enrollment_count = 0")
    shell = raw(db_path)
    shell.execute("DELETE FROM users WHERE id = 'u-ada'")  # foreign keys off: orphans stay
    shell.close()
    result = cli("check", "--db", db_path, "--repair")
    assert result.returncode == 1 and no_traceback(result)
    assert "repair: fixed course c-sql: enrollment_count is 0" in result.stdout
    assert "ok   counters equal their aggregates" in result.stdout
    assert "enrollments: 3 row(s) whose user_id has no row in users" in result.stdout
    assert "--repair" not in last_line(result)
    assert "orphan rows" in last_line(result) and "schema drift" in last_line(result)


def test_check_while_another_connection_writes_says_busy_not_broken(db, db_path):
    writer = raw(db_path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE users SET name = name")
    db.execute("PRAGMA busy_timeout = 0")  # the CLI waits 5 s first; the answer is the same
    try:
        with pytest.raises(DatabaseBusyError, match="busy"):
            checks.run_checks(db)
        with pytest.raises(DatabaseBusyError, match="busy"):
            checks.repair(db)
    finally:
        writer.execute("ROLLBACK")
    assert [r.name for r in checks.run_checks(db) if not r.ok] == []


def test_the_cli_check_says_busy_in_one_line_while_the_write_lock_is_held(cli, db_path):
    writer = raw(db_path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE users SET name = name")
    try:
        result = cli("check", "--db", db_path)
    finally:
        writer.execute("ROLLBACK")
    assert result.returncode == 1 and no_traceback(result)
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert "busy" in result.stderr and "repair" not in result.stderr
