"""Migration 011: course prerequisites, the rules the database enforces, and their queries."""

import re
import sqlite3

import pytest

from courselab import migrate, prerequisites
from courselab.errors import CourselabError

CYCLE = "prerequisite cycle"
REFUSED = "enrollment refused"


def schema(conn):
    return sorted(tuple(row) for row in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


def ids(rows):
    return [row[0] for row in rows]


def require(conn, course_id, prerequisite_id):
    conn.execute("INSERT INTO course_prerequisites (course_id, prerequisite_id) VALUES (?, ?)",
                 (course_id, prerequisite_id))


def enroll(conn, user_id, course_id):
    conn.execute("INSERT INTO enrollments (user_id, course_id) VALUES (?, ?)", (user_id, course_id))


def complete(conn, user_id, course_id):
    conn.execute("UPDATE enrollments SET completed_at = '2026-05-01 12:00:00' "
                 "WHERE user_id = ? AND course_id = ?", (user_id, course_id))


@pytest.fixture
def chain(db):
    """Fixtures plus c-perf requires c-design requires c-sql (as notebook 18 adds them)."""
    require(db, "c-perf", "c-design")
    require(db, "c-design", "c-sql")
    return db


@pytest.fixture
def graph(make_db):
    """Four fresh courses a, b, c, d with a requires b requires c requires d."""
    conn = make_db(load=False)
    for name in "abcd":
        conn.execute("INSERT INTO courses (id, title) VALUES (?, ?)", (name, f"Course {name}"))
    for course_id, prerequisite_id in [("a", "b"), ("b", "c"), ("c", "d")]:
        require(conn, course_id, prerequisite_id)
    return conn


def test_fixture_prerequisites_and_every_fixture_enrollment_load_under_the_rules(db):
    # data/course_prerequisites.csv: c-nosql requires c-design and c-sql; nobody is enrolled
    # in c-nosql, so all 12 enrollments of data/enrollments.csv pass the trigger.
    assert db.execute("SELECT COUNT(*) FROM course_prerequisites").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0] == 12


def test_a_course_cannot_require_itself(db):
    with pytest.raises(sqlite3.IntegrityError, match="no_self_prerequisite"):
        require(db, "c-sql", "c-sql")


def test_the_same_prerequisite_cannot_be_added_twice(db):
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        require(db, "c-nosql", "c-sql")


@pytest.mark.parametrize("course_id, prerequisite_id", [
    ("b", "a"),  # a -> b -> a: two deep
    ("c", "a"),  # a -> b -> c -> a: three deep
    ("d", "a"),  # a -> b -> c -> d -> a: four deep
    ("c", "b"),  # a cycle that does not involve the first course
])
def test_a_cycle_of_any_depth_is_refused(graph, course_id, prerequisite_id):
    with pytest.raises(sqlite3.IntegrityError, match=CYCLE):
        require(graph, course_id, prerequisite_id)


def test_a_shortcut_is_not_a_cycle_and_is_accepted(graph):
    require(graph, "a", "d")
    assert ids(prerequisites.direct_prerequisites(graph, "a")) == ["b", "d"]


def test_an_update_that_closes_a_cycle_is_refused(graph):
    with pytest.raises(sqlite3.IntegrityError, match=CYCLE):
        graph.execute("UPDATE course_prerequisites SET prerequisite_id = 'a' "
                      "WHERE course_id = 'c' AND prerequisite_id = 'd'")


def test_an_update_is_judged_without_the_row_it_replaces(graph):
    # Turning a -> b into c -> a leaves b -> c -> a: no cycle. Walking with the old row
    # a -> b still in place would wrongly find a -> b -> c.
    graph.execute("UPDATE course_prerequisites SET course_id = 'c', prerequisite_id = 'a' "
                  "WHERE course_id = 'a' AND prerequisite_id = 'b'")
    assert ids(prerequisites.all_prerequisites(graph, "b")) == ["a", "d", "c"]  # c 1; a, d 2


def test_enrollment_is_refused_until_every_prerequisite_is_completed(db):
    # c-nosql requires c-design and c-sql. u-ada completed c-sql only (data/enrollments.csv).
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        enroll(db, "u-ada", "c-nosql")
    complete(db, "u-ada", "c-design")
    enroll(db, "u-ada", "c-nosql")
    assert db.execute("SELECT enrollment_count FROM courses WHERE id = 'c-nosql'"
                      ).fetchone()[0] == 1


def test_being_enrolled_in_a_prerequisite_is_not_enough(db):
    # u-grace is enrolled in c-sql and c-design, completed neither.
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        enroll(db, "u-grace", "c-nosql")


def test_moving_an_enrollment_to_a_course_with_missing_prerequisites_is_refused(db):
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        db.execute("UPDATE enrollments SET course_id = 'c-nosql' "
                   "WHERE user_id = 'u-alan' AND course_id = 'c-python'")


def test_adding_a_prerequisite_keeps_the_enrollments_that_already_exist(db):
    # u-grace, u-ada and u-donald are in c-perf without having completed c-design.
    require(db, "c-perf", "c-design")
    assert db.execute("SELECT COUNT(*) FROM enrollments WHERE course_id = 'c-perf'"
                      ).fetchone()[0] == 3
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        enroll(db, "u-edgar", "c-perf")


def test_direct_prerequisites_of_the_fixtures(db):
    assert ids(prerequisites.direct_prerequisites(db, "c-nosql")) == ["c-design", "c-sql"]
    assert prerequisites.direct_prerequisites(db, "c-sql") == []


def test_all_prerequisites_follow_the_chain_with_its_depth(chain):
    # c-perf -> c-design (1) -> c-sql (2).
    rows = prerequisites.all_prerequisites(chain, "c-perf")
    assert [tuple(row) for row in rows] == [("c-sql", "SQL Fundamentals", 2),
                                            ("c-design", "Relational Database Design", 1)]


def test_a_course_reached_by_two_paths_gets_its_longest_depth(chain):
    # c-nosql requires c-sql directly (1) and through c-design (2): 2, so taking the
    # list deepest first puts c-sql before c-design, which requires it.
    rows = prerequisites.all_prerequisites(chain, "c-nosql")
    assert [(row["id"], row["depth"]) for row in rows] == [("c-sql", 2), ("c-design", 1)]


def test_missing_prerequisites_name_what_a_user_has_not_completed(db):
    # u-ada completed c-sql; u-donald is in c-perf only.
    assert ids(prerequisites.missing_prerequisites(db, "u-ada", "c-nosql")) == ["c-design"]
    assert ids(prerequisites.missing_prerequisites(db, "u-donald", "c-nosql")) == ["c-design",
                                                                                 "c-sql"]


def test_eligible_courses_on_the_fixtures(db):
    # Published courses are c-sql, c-design, c-perf, c-python (c-nosql is not).
    # u-ada is in c-sql, c-design, c-perf: c-python is left, and it requires nothing.
    # u-edgar is in c-design only: the three others, none requiring anything.
    assert ids(prerequisites.eligible_courses(db, "u-ada")) == ["c-python"]
    assert ids(prerequisites.eligible_courses(db, "u-edgar")) == ["c-perf", "c-python", "c-sql"]


def test_eligible_courses_follow_completions(chain):
    # With c-perf -> c-design -> c-sql, u-donald (in c-perf, nothing completed) may take
    # c-python and c-sql; once c-sql is completed, c-design too.
    assert ids(prerequisites.eligible_courses(chain, "u-donald")) == ["c-python", "c-sql"]
    enroll(chain, "u-donald", "c-sql")
    assert ids(prerequisites.eligible_courses(chain, "u-donald")) == ["c-python"]
    complete(chain, "u-donald", "c-sql")
    assert ids(prerequisites.eligible_courses(chain, "u-donald")) == ["c-design", "c-python"]
    enroll(chain, "u-donald", "c-design")  # accepted now


def test_deleting_a_course_deletes_the_rules_that_name_it(db):
    db.execute("DELETE FROM courses WHERE id = 'c-design'")
    assert ids(prerequisites.direct_prerequisites(db, "c-nosql")) == ["c-sql"]


def test_rolling_back_011_keeps_enrollments_and_lifts_the_rule(db):
    migrate.rollback(db, to="010", force=True)
    assert db.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0] == 12
    enroll(db, "u-donald", "c-nosql")


def test_notebook_16_sequence_on_the_chain(chain):
    # The trigger's walk down from c-perf: c-perf, c-design, c-sql.
    walk = chain.execute("""
        WITH RECURSIVE below(id) AS (
            SELECT 'c-perf' UNION
            SELECT cp.prerequisite_id FROM course_prerequisites cp
            JOIN below ON cp.course_id = below.id)
        SELECT id FROM below ORDER BY id""").fetchall()
    assert ids(walk) == ["c-design", "c-perf", "c-sql"]
    for prerequisite_id in ("c-design", "c-perf"):  # two and three deep
        with pytest.raises(sqlite3.IntegrityError, match=CYCLE):
            require(chain, "c-sql", prerequisite_id)
    assert ids(prerequisites.direct_prerequisites(chain, "c-perf")) == ["c-design"]
    # Donald: c-design is refused until c-sql is completed, and c-sql is what is missing.
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        enroll(chain, "u-donald", "c-design")
    assert ids(prerequisites.missing_prerequisites(chain, "u-donald", "c-design")) == ["c-sql"]
    enroll(chain, "u-donald", "c-sql")
    complete(chain, "u-donald", "c-sql")
    enroll(chain, "u-donald", "c-design")
    require(chain, "c-perf", "c-sql")  # a shortcut, accepted


def test_existing_fixture_enrollments_show_why_published_courses_have_no_rule(db):
    # Every published course has an enrollee other than u-ada, who completed nothing.
    rows = db.execute("SELECT c.id FROM courses c WHERE c.is_published = 1 AND NOT EXISTS ("
                      "SELECT 1 FROM enrollments e WHERE e.course_id = c.id "
                      "AND e.user_id <> 'u-ada') ORDER BY c.id").fetchall()
    assert rows == []
    completed = db.execute("SELECT user_id, course_id FROM enrollments "
                           "WHERE completed_at IS NOT NULL").fetchall()
    assert [tuple(row) for row in completed] == [("u-ada", "c-sql")]


def test_moving_the_completed_prerequisite_enrollment_into_the_course_requiring_it_is_refused(db):
    # c-nosql requires c-design and c-sql; u-ada completed c-sql. Completing c-design by
    # moving her completed c-sql enrollment there would leave her in c-nosql without c-sql.
    complete(db, "u-ada", "c-design")
    db.execute("DELETE FROM enrollments WHERE user_id = 'u-ada' AND course_id = 'c-design'")
    db.execute("INSERT INTO course_prerequisites VALUES ('c-design', 'c-sql')")
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        db.execute("UPDATE enrollments SET course_id = 'c-design' "
                   "WHERE user_id = 'u-ada' AND course_id = 'c-sql'")
    assert db.execute("SELECT completed_at IS NOT NULL FROM enrollments "
                      "WHERE user_id = 'u-ada' AND course_id = 'c-sql'").fetchone()[0] == 1


def test_moving_a_completed_prerequisite_enrollment_to_another_user_is_judged_for_that_user(db):
    # u-alan has not completed c-design; u-ada's completed c-sql moved to him still
    # leaves him without c-design, so c-nosql stays closed to him by INSERT and by UPDATE.
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        db.execute("UPDATE enrollments SET user_id = 'u-alan', course_id = 'c-nosql' "
                   "WHERE user_id = 'u-ada' AND course_id = 'c-sql'")


def test_moving_an_enrollment_whose_prerequisites_are_complete_is_accepted(db):
    complete(db, "u-ada", "c-design")
    db.execute("UPDATE enrollments SET course_id = 'c-nosql' "
               "WHERE user_id = 'u-ada' AND course_id = 'c-perf'")
    assert db.execute("SELECT enrollment_count FROM courses WHERE id = 'c-nosql'"
                      ).fetchone()[0] == 1


@pytest.mark.parametrize("sql, message", [
    ("UPDATE course_prerequisites SET prerequisite_id = 'a' WHERE course_id = 'a'",
     "no_self_prerequisite"),
    ("UPDATE course_prerequisites SET course_id = 'd' WHERE course_id = 'a'", CYCLE),
    ("UPDATE OR REPLACE course_prerequisites SET prerequisite_id = 'a' WHERE course_id = 'b'",
     CYCLE),
    ("INSERT OR REPLACE INTO course_prerequisites VALUES ('d', 'a')", CYCLE),
])
def test_update_and_replace_of_a_prerequisite_refuse_cycles_and_self_requirements(graph, sql,
                                                                                 message):
    with pytest.raises(sqlite3.IntegrityError, match=message):
        graph.execute(sql)


@pytest.mark.parametrize("call, says", [
    (lambda db: prerequisites.eligible_courses(db, "nobody"), "no user 'nobody'"),
    (lambda db: prerequisites.direct_prerequisites(db, "c-nothing"), "no course 'c-nothing'"),
    (lambda db: prerequisites.all_prerequisites(db, ["c-sql"]), "no course ['c-sql']"),
    (lambda db: prerequisites.missing_prerequisites(db, "u-ada", None), "no course None"),
])
def test_an_id_that_names_nothing_is_an_error_not_an_empty_answer(db, call, says):
    with pytest.raises(CourselabError, match=re.escape(says) + ": give the id of one, as text"):
        call(db)


def test_before_011_the_questions_say_to_migrate(make_db):
    with pytest.raises(CourselabError, match="no table course_prerequisites yet: migrate to 011"):
        prerequisites.eligible_courses(make_db(to="010"), "u-ada")
