"""What notebooks 02, 04, 13, 15, 16 and 18, the glossary and the cheat sheet claim, asserted."""

import re
import shutil
import sqlite3
import subprocess

import pytest

from courselab import workbook
from courselab.db import connect
from tests.conftest import REPO

TITLE = "SELECT title FROM courses WHERE id = 'c-sql'"


def plain(path):
    return sqlite3.connect(path, isolation_level=None, timeout=0)


@pytest.fixture
def two_files(make_db, tmp_path):
    """(wal path, rollback-journal path): the same database in both journal modes."""
    conn = make_db(to="010")
    journal = tmp_path / "journal.db"
    conn.execute(f"VACUUM INTO '{journal}'")
    plain(journal).execute("PRAGMA journal_mode = DELETE")
    return tmp_path / "test.db", journal


@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_15_a_reader_during_a_write_reads_the_committed_state_in_both_journal_modes(two_files,
                                                                                   mode):
    path = two_files[0 if mode == "wal" else 1]
    writer, reader = plain(path), plain(path)
    assert writer.execute("PRAGMA journal_mode").fetchone()[0] == mode
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE courses SET title = 'SQL Basics' WHERE id = 'c-sql'")
    assert reader.execute(TITLE).fetchone()[0] == "SQL Fundamentals"


def test_15_only_wal_lets_a_writer_commit_under_a_readers_snapshot_and_new_readers_in(two_files):
    for path, wal in zip(two_files, (True, False), strict=True):
        writer, reader, late = plain(path), plain(path), plain(path)
        reader.execute("BEGIN")
        reader.execute(TITLE).fetchone()
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE courses SET title = 'SQL Basics' WHERE id = 'c-sql'")
        if wal:
            writer.execute("COMMIT")
            assert reader.execute(TITLE).fetchone()[0] == "SQL Fundamentals"  # its snapshot
            assert late.execute(TITLE).fetchone()[0] == "SQL Basics"
        else:
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                writer.execute("COMMIT")
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                late.execute(TITLE).fetchone()  # the waiting writer's PENDING lock


def test_18_1_the_top_rated_page_searches_the_published_index_then_sorts(make_db):
    plan = workbook.query_plan(make_db(to="010"), "SELECT id FROM courses WHERE is_published = 1 "
                                                  "ORDER BY avg_rating DESC LIMIT 10")
    assert plan == "SEARCH courses USING INDEX idx_courses_published (is_published=?)\n" \
                   "USE TEMP B-TREE FOR ORDER BY"  # option (a) of 16.1


def test_18_raise_takes_only_a_literal_message_on_the_sqlite_the_notebook_names():
    notebook = (REPO / "notebooks" / "18-Prerequisites.ipynb").read_text()
    assert f"SQLite\n{sqlite3.sqlite_version}" in notebook.replace("\\n\",\n    \"", "\n")
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x)")
    with pytest.raises(sqlite3.OperationalError, match='near "\\|\\|": syntax error'):
        conn.execute("CREATE TRIGGER m BEFORE INSERT ON t BEGIN "
                     "SELECT RAISE(ABORT, 'x: ' || NEW.x); END")


def test_18_a_grandfathered_enrollment_opens_the_next_course_without_the_chain_below(make_db):
    db = make_db(to="011")
    db.execute("INSERT INTO course_prerequisites VALUES ('c-perf', 'c-design'), "
               "('c-design', 'c-sql')")
    edgar = "SELECT course_id FROM enrollments WHERE user_id = 'u-edgar' ORDER BY course_id"
    assert [r[0] for r in db.execute(edgar)] == ["c-design"]  # and never c-sql
    db.execute("UPDATE enrollments SET completed_at = '2026-05-01 10:00:00' "
               "WHERE user_id = 'u-edgar' AND course_id = 'c-design'")
    db.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-edgar', 'c-perf')")
    assert [r[0] for r in db.execute(edgar)] == ["c-design", "c-perf"]


def test_18_what_a_course_unlocks_is_found_through_the_second_columns_index(make_db):
    plan = workbook.query_plan(make_db(to="011"), "SELECT course_id FROM course_prerequisites "
                                                  "WHERE prerequisite_id = ?", ("c-sql",))
    assert "USING INDEX idx_course_prerequisites_prerequisite_id" in plan


def test_04_without_rowid_and_virtual_tables_have_no_rowid_and_unique_makes_a_parent_key(make_db):
    db = make_db(to="010")
    db.execute("CREATE TABLE words (word TEXT PRIMARY KEY) WITHOUT ROWID")
    with pytest.raises(sqlite3.OperationalError, match="no such column: rowid"):
        db.execute("SELECT rowid FROM words")
    shadow = db.execute("SELECT sql FROM sqlite_master WHERE name = 'courses_fts_config'")
    assert "WITHOUT ROWID" in shadow.fetchone()[0]
    db.execute("CREATE TABLE parent (id TEXT UNIQUE)")
    db.execute("CREATE TABLE child (parent_id TEXT REFERENCES parent(id))")
    db.execute("INSERT INTO parent VALUES ('p')")
    db.execute("INSERT INTO child VALUES ('p')")
    db.execute("CREATE TABLE loose (id TEXT)")
    db.execute("CREATE TABLE loose_child (loose_id TEXT REFERENCES loose(id))")
    with pytest.raises(sqlite3.DatabaseError, match="foreign key mismatch"):
        db.execute("INSERT INTO loose_child VALUES ('x')")


def test_readme_names_the_columns_the_fts_update_trigger_fires_on():
    migration = workbook.migration_source("010")
    columns = re.search(r"courses_fts_update AFTER UPDATE OF (.+?) ON courses", migration).group(1)
    assert f"`OF {columns}`" in (REPO / "README.md").read_text().replace("\n  ", " ")


def test_13_shifting_positions_under_a_unique_index_fails_and_moving_them_away_works():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE o (s TEXT, position INTEGER, UNIQUE (s, position))")
    conn.executemany("INSERT INTO o VALUES ('s', ?)", [(1,), (2,), (3,)])
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute("UPDATE o SET position = position + 1 WHERE position >= 2")
    conn.execute("UPDATE o SET position = -position WHERE position >= 2")
    conn.execute("UPDATE o SET position = -position + 1 WHERE position < 0")
    conn.execute("INSERT INTO o VALUES ('s', 2)")
    assert [r[0] for r in conn.execute("SELECT position FROM o ORDER BY position")] == [1, 2, 3, 4]


def test_13_dividing_by_zero_gives_null_not_an_error():
    assert sqlite3.connect(":memory:").execute("SELECT 100.0 * 0 / 0").fetchone() == (None,)


def test_02_a_plain_connection_and_the_shell_start_with_foreign_keys_and_recursion_off(tmp_path):
    assert sqlite3.connect(":memory:").execute("PRAGMA foreign_keys").fetchone() == (0,)
    assert sqlite3.connect(":memory:").execute("PRAGMA recursive_triggers").fetchone() == (0,)
    assert connect(tmp_path / "x.db").execute("PRAGMA recursive_triggers").fetchone()[0] == 1
    shell = shutil.which("sqlite3")
    if shell is None:
        pytest.skip("no sqlite3 shell on this machine (apt install sqlite3)")
    said = subprocess.run([shell, "-init", "/dev/null", ":memory:",
                           "PRAGMA foreign_keys; PRAGMA recursive_triggers;"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert said == ["0", "0"]


# -- The cheat sheet ---------------------------------------------------------------------------

CHEAT = (REPO / "notebooks" / "Cheat-Sheet.md").read_text()


def _match(db, query):
    rows = db.execute("SELECT c.id, c.title FROM courses_fts "
                      "JOIN courses c ON c.rowid = courses_fts.rowid WHERE courses_fts MATCH ?",
                      (query,))
    return {r[0]: r[1] for r in rows}


def test_cheat_sheet_fts5_queries_mean_what_it_says(db):
    m = lambda q: set(_match(db, q))  # noqa: E731
    assert m("sql index") == m("sql AND index") == m("sql") & m("index")
    assert m("sql OR nosql") == m("sql") | m("nosql") and m("sql or nosql") == set()
    assert m("database NOT document") == m("database") - m("document")
    assert m("databases") | m("data") <= m("data*") and m("data*") > m("data")
    assert m('"query plans"') <= m("query plans") and m('"query plans"')
    titled = _match(db, "title:design")
    assert titled and all("design" in t.lower() for t in titled.values())
    assert m("NEAR(query plans, 5)") <= m("query plans") and m("NEAR(query plans, 5)")
    for query in ("`sql OR nosql`", "`data*`", '`"query plans"`', "`title:design`",
                  "`NEAR(index plan, 5)`"):
        assert query in CHEAT


def test_cheat_sheet_trigger_order_a_before_trigger_speaks_before_a_check_and_after_undoes():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (x INTEGER CHECK (x > 0))")
    conn.execute("CREATE TABLE log (x)")
    conn.execute("CREATE TRIGGER b BEFORE INSERT ON t WHEN NEW.x = -1 "
                 "BEGIN SELECT RAISE(ABORT, 'before'); END")
    conn.execute("CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.x); "
                 "SELECT RAISE(ABORT, 'after') WHERE NEW.x = 7; END")
    with pytest.raises(sqlite3.IntegrityError, match="before"):
        conn.execute("INSERT INTO t VALUES (-1)")  # the CHECK would refuse it too, later
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("INSERT INTO t VALUES (-2)")
    with pytest.raises(sqlite3.IntegrityError, match="after"):
        conn.execute("INSERT INTO t VALUES (7)")
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM log").fetchone()[0] == 0  # undone with it


def test_cheat_sheet_type_affinity_converts_what_it_can_and_strict_refuses():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE a (i INTEGER, t TEXT)")
    conn.execute("INSERT INTO a VALUES ('5', 5), ('five', 5)")
    assert conn.execute("SELECT typeof(i), typeof(t) FROM a ORDER BY rowid").fetchall() == [
        ("integer", "text"), ("text", "text")]
    conn.execute("CREATE TABLE s (i INTEGER) STRICT")
    with pytest.raises(sqlite3.IntegrityError, match="cannot store TEXT value in INTEGER column"):
        conn.execute("INSERT INTO s VALUES ('five')")


def test_cheat_sheet_plan_lines_appear_as_written(db):
    plans = [workbook.query_plan(db, sql) for sql in (
        "SELECT title FROM courses ORDER BY difficulty",
        "SELECT title FROM courses WHERE rowid = 1",
        "SELECT course_id FROM sections WHERE course_id = 'c-sql'",
        "SELECT (SELECT COUNT(*) FROM reviews r WHERE r.course_id = c.id) FROM courses c")]
    assert plans[0] == "SCAN courses USING INDEX idx_courses_difficulty"
    assert plans[1] == "SEARCH courses USING INTEGER PRIMARY KEY (rowid=?)"
    assert "USING COVERING INDEX" in plans[2]
    assert "CORRELATED SCALAR SUBQUERY" in plans[3]
    for line in ("SCAN t USING INDEX i", "USING COVERING INDEX", "USING INTEGER PRIMARY KEY",
                 "CORRELATED SCALAR SUBQUERY"):
        assert line in CHEAT


def test_00_links_the_glossary_and_cheat_sheet_and_the_student_edition_carries_them():
    start = (REPO / "notebooks" / "00-Start-Here.ipynb").read_text()
    for name in ("Glossary.md", "Cheat-Sheet.md"):
        assert f"]({name})" in start
        assert (REPO / "student" / name).read_text() == (REPO / "notebooks" / name).read_text()
