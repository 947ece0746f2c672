"""The progress counters: exact after every kind of change, checked, repaired, reversible."""

import contextlib
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courselab import checks, dashboard, fixtures, migrate, progress_counters
from courselab.db import connect

# What each counter must equal, computed from the base tables only.
TRUTH = """
SELECT e.user_id, e.course_id,
       (SELECT COUNT(*) FROM progress p JOIN lessons l ON l.id = p.lesson_id
        JOIN sections s ON s.id = l.section_id
        WHERE p.user_id = e.user_id AND s.course_id = e.course_id) AS done
FROM enrollments e
"""


def stored(conn):
    """{(user, course): lessons_done} and {course: (lessons_done_sum, completed_count)}."""
    enrollments = {(r[0], r[1]): r[2] for r in conn.execute(
        "SELECT user_id, course_id, lessons_done FROM enrollments")}
    courses = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT id, lessons_done_sum, completed_count FROM courses")}
    return enrollments, courses


def truth(conn):
    enrollments = {(r[0], r[1]): r[2] for r in conn.execute(TRUTH)}
    courses = {}
    for course_id, in conn.execute("SELECT id FROM courses"):
        done = sum(n for (_user, course), n in enrollments.items() if course == course_id)
        completed = conn.execute("SELECT COUNT(*) FROM enrollments WHERE course_id = ? "
                                 "AND completed_at IS NOT NULL", (course_id,)).fetchone()[0]
        courses[course_id] = (done, completed)
    return enrollments, courses


def stale_names(conn):
    """Enrollments whose copy of the user's name is not the user's name."""
    return [tuple(r) for r in conn.execute(
        "SELECT e.user_id, e.course_id, e.user_name, u.name FROM enrollments e "
        "JOIN users u ON u.id = e.user_id WHERE e.user_name IS NOT u.name")]


def assert_exact(conn):
    assert stored(conn) == truth(conn)
    assert stale_names(conn) == []
    assert progress_counters.drift(conn) == []


def done(conn, user, course):
    return conn.execute("SELECT lessons_done FROM enrollments WHERE user_id = ? AND course_id = ?",
                        (user, course)).fetchone()[0]


def test_the_counters_start_from_the_rows_already_there(make_db):
    below = migrate.discover()[[m.name for m in migrate.discover()].index(
        progress_counters.MIGRATION) - 1].version
    conn = make_db(to=below)
    migrate.migrate(conn)
    assert_exact(conn)
    # ada did all 6 lessons of c-sql, and 2 of c-design's 4.
    assert (done(conn, "u-ada", "c-sql"), done(conn, "u-ada", "c-design")) == (6, 2)


def test_a_progress_insert_and_delete_move_the_counters_by_one(db):
    db.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-alan', 'l-sql-2')")
    assert done(db, "u-alan", "c-sql") == 2
    assert_exact(db)
    db.execute("DELETE FROM progress WHERE user_id = 'u-ada' AND lesson_id = 'l-sql-1'")
    assert done(db, "u-ada", "c-sql") == 5
    assert_exact(db)


def test_progress_in_a_course_the_user_is_not_enrolled_in_counts_for_nothing(db):
    before = stored(db)
    db.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-edgar', 'l-sql-1')")
    assert stored(db) == before
    assert_exact(db)


def test_a_re_created_enrollment_counts_the_progress_its_user_kept(db):
    db.execute("DELETE FROM enrollments WHERE user_id = 'u-ada' AND course_id = 'c-sql'")
    assert_exact(db)
    db.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-ada', 'c-sql')")
    assert done(db, "u-ada", "c-sql") == 6
    assert_exact(db)


def test_an_enrollment_moved_to_another_course_counts_that_course(db):
    db.execute("UPDATE enrollments SET course_id = 'c-sql' "
               "WHERE user_id = 'u-edgar' AND course_id = 'c-design'")
    assert done(db, "u-edgar", "c-sql") == 0
    assert_exact(db)


def test_a_lesson_moved_to_another_course_moves_its_progress(db):
    db.execute("UPDATE lessons SET section_id = 's-perf-1' WHERE id = 'l-design-1'")
    assert (done(db, "u-grace", "c-perf"), done(db, "u-grace", "c-design")) == (4, 0)
    assert_exact(db)


def test_a_section_moved_to_another_course_moves_its_progress(db):
    db.execute("UPDATE sections SET course_id = 'c-design' WHERE id = 's-sql-1'")
    assert done(db, "u-ada", "c-design") == 4
    assert_exact(db)


@pytest.mark.parametrize("delete", [
    "DELETE FROM lessons WHERE id = 'l-sql-1'",
    "DELETE FROM sections WHERE id = 's-sql-2'",
    "DELETE FROM courses WHERE id = 'c-design'",
    "DELETE FROM users WHERE id = 'u-grace'",
])
def test_cascades_keep_the_counters_exact(db, delete):
    db.execute(delete)
    assert_exact(db)


def test_completed_enrollments_are_counted_per_course(db):
    db.execute("UPDATE enrollments SET completed_at = '2026-05-01 10:00:00' "
               "WHERE user_id = 'u-grace' AND course_id = 'c-perf'")
    assert stored(db)[1]["c-perf"] == (3 + 0 + 0, 1)
    assert_exact(db)


def test_the_copy_follows_a_renamed_course(db):
    db.execute("UPDATE users SET name = 'Countess Lovelace' WHERE id = 'u-ada'")
    db.execute("UPDATE courses SET title = 'SQL, the basics' WHERE id = 'c-sql'")
    row = db.execute("SELECT course_title FROM enrollments "
                     "WHERE user_id = 'u-ada' AND course_id = 'c-sql'").fetchone()
    assert tuple(row) == ("SQL, the basics",)
    assert_exact(db)


def user_names(conn, user):
    return {r[0] for r in conn.execute("SELECT user_name FROM enrollments WHERE user_id = ?",
                                       (user,))}


def test_the_copies_of_a_users_name_follow_a_rename_an_enrollment_and_a_rekey(db):
    db.execute("UPDATE users SET name = 'Countess Lovelace' WHERE id = 'u-ada'")
    assert user_names(db, "u-ada") == {"Countess Lovelace"}
    db.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-edgar', 'c-perf')")
    edgar = db.execute("SELECT name FROM users WHERE id = 'u-edgar'").fetchone()[0]
    assert user_names(db, "u-edgar") == {edgar}
    db.execute("UPDATE enrollments SET user_id = 'u-alan' "
               "WHERE user_id = 'u-edgar' AND course_id = 'c-perf'")
    assert user_names(db, "u-alan") == {"Alan Turing"}
    assert_exact(db)


def test_check_reports_a_stale_name_and_repair_sets_it(db):
    db.execute("UPDATE enrollments SET user_name = 'Nobody' WHERE user_id = 'u-grace'")
    problems = checks.counter_drift(db)
    assert any("u-grace: the copy of the user's name is not" in p for p in problems)
    checks.repair(db)
    assert_exact(db)


def test_rolling_back_the_name_copy_keeps_the_counters_and_the_report(db):
    rows = [tuple(r) for r in dashboard.enrolled_never_started(db)]
    migrate.rollback(db, to=f"{int(progress_counters.name_copy_version()) - 1:03d}")
    assert not progress_counters.copies_user_names(db) and progress_counters.kept(db)
    assert [tuple(r) for r in dashboard.enrolled_never_started(db)] == rows
    assert progress_counters.drift(db) == []
    migrate.migrate(db)
    assert [tuple(r) for r in dashboard.enrolled_never_started(db)] == rows
    assert_exact(db)


def test_check_reports_a_drifted_counter_and_repair_fixes_it(db):
    db.execute("UPDATE enrollments SET lessons_done = 9, course_title = 'X' "
               "WHERE user_id = 'u-alan' AND course_id = 'c-sql'")
    problems = checks.counter_drift(db)
    assert "course c-sql, user u-alan: lessons_done is 9, expected 1" in problems
    assert "course c-sql: lessons_done_sum is 18, expected 10" in problems
    assert any("u-alan" in p and "copy" in p for p in problems)
    fixed = checks.repair(db)
    assert "fixed course c-sql, user u-alan: lessons_done is 9, expected 1" in fixed
    assert checks.counter_drift(db) == []
    assert_exact(db)


def _enrollment_updates(db, run):
    """How many enrollment rows `run()` updated (counted by a temporary trigger)."""
    db.execute("CREATE TEMP TABLE updated (n INTEGER)")
    db.execute("INSERT INTO updated VALUES (0)")
    db.execute("CREATE TEMP TRIGGER count_updates AFTER UPDATE ON main.enrollments "
               "BEGIN UPDATE updated SET n = n + 1; END")
    run()
    n = db.execute("SELECT n FROM updated").fetchone()[0]
    db.execute("DROP TRIGGER count_updates")
    db.execute("DROP TABLE updated")
    return n


def test_recompute_rewrites_only_the_drifted_rows_and_leaves_no_table_behind(db):
    db.execute("UPDATE enrollments SET lessons_done = 9 "
               "WHERE user_id = 'u-alan' AND course_id = 'c-sql'")
    assert _enrollment_updates(db, lambda: progress_counters.recompute(db)) == 1
    assert progress_counters.drift(db) == []
    assert db.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
    assert _enrollment_updates(db, lambda: progress_counters.recompute(db)) == 0


def test_rolling_back_the_migration_removes_the_counters_and_keeps_the_data(db):
    below = f"{int(progress_counters.version()) - 1:03d}"
    progress = db.execute("SELECT COUNT(*) FROM progress").fetchone()[0]
    migrate.rollback(db, to=below)
    assert not progress_counters.kept(db)
    assert db.execute("SELECT COUNT(*) FROM progress").fetchone()[0] == progress
    assert progress_counters.drift(db) == []


STATEMENTS = [
    "INSERT OR IGNORE INTO progress (user_id, lesson_id) VALUES ({user}, {lesson})",
    "DELETE FROM progress WHERE user_id = {user} AND lesson_id = {lesson}",
    "UPDATE OR IGNORE progress SET lesson_id = {lesson} WHERE user_id = {user}",
    "INSERT OR IGNORE INTO enrollments (user_id, course_id) VALUES ({user}, {course})",
    "DELETE FROM enrollments WHERE user_id = {user} AND course_id = {course}",
    "UPDATE OR IGNORE enrollments SET course_id = {course} WHERE user_id = {user}",
    "UPDATE enrollments SET completed_at = CASE WHEN completed_at IS NULL "
    "THEN '2026-06-01' END WHERE user_id = {user}",
    "UPDATE lessons SET section_id = {section} WHERE id = {lesson}",
    "UPDATE sections SET course_id = {course} WHERE id = {section}",
    "DELETE FROM lessons WHERE id = {lesson}",
    "DELETE FROM sections WHERE id = {section}",
    "DELETE FROM courses WHERE id = {course}",
    "INSERT OR REPLACE INTO progress (user_id, lesson_id) VALUES ({user}, {lesson})",
    "UPDATE users SET name = name || '+' WHERE id = {user}",
    "UPDATE OR IGNORE enrollments SET user_id = {user} WHERE course_id = {course}",
    "DELETE FROM users WHERE id = {user}",
]
USERS = ["u-ada", "u-alan", "u-grace", "u-edgar", "u-barbara", "u-donald"]
COURSES = ["c-sql", "c-design", "c-perf", "c-python"]  # c-nosql has prerequisites
SECTIONS = ["s-sql-1", "s-sql-2", "s-design-1", "s-perf-1", "s-perf-2", "s-python-1"]
LESSONS = ["l-sql-1", "l-sql-3", "l-sql-6", "l-design-1", "l-design-3", "l-perf-1",
           "l-perf-3", "l-python-1", "l-python-2"]


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    conn = connect(tmp_path_factory.mktemp("counters") / "c.db")
    migrate.migrate(conn)
    fixtures.load(conn)
    return conn


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(STATEMENTS), st.sampled_from(USERS),
                          st.sampled_from(COURSES), st.sampled_from(SECTIONS),
                          st.sampled_from(LESSONS)), min_size=1, max_size=12))
def test_any_sequence_of_changes_keeps_the_counters_equal_to_their_aggregates(fixture_db, steps):
    conn = fixture_db
    conn.execute("SAVEPOINT steps")
    try:
        for sql, user, course, section, lesson in steps:
            # A statement refused (a foreign key, a prerequisite) changes nothing.
            with contextlib.suppress(sqlite3.IntegrityError):
                conn.execute(sql.format(user=f"'{user}'", course=f"'{course}'",
                                        section=f"'{section}'", lesson=f"'{lesson}'"))
            assert stored(conn) == truth(conn), sql
            assert stale_names(conn) == [], sql
    finally:
        conn.execute("ROLLBACK TO steps")
        conn.execute("RELEASE steps")
