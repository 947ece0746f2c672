"""The platform's rules, run on both engines from one suite: SQLite and PostgreSQL.

Each test uses `platform`, a database at the latest migration with the fixtures loaded,
on SQLite and then on a real PostgreSQL server. Statements are written once, with `?`
placeholders (the PostgreSQL side turns them into psycopg's `%s`).
"""

import sqlite3

import pytest

from courselab import checks, pg_data, postgres


class Platform:
    """One connection and the few verbs the rules need, the same on either engine."""

    def __init__(self, engine, conn):
        self.engine, self.conn = engine, conn

    def run(self, sql, *params):
        if self.engine == "postgresql":
            cursor = self.conn.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []
        return [tuple(row) for row in self.conn.execute(sql, params).fetchall()]

    def value(self, sql, *params):
        return self.run(sql, *params)[0][0]

    def refused(self, sql, *params):
        """The database's message when it refuses `sql`; fails the test if it accepts it."""
        errors = (sqlite3.Error,) if self.engine == "sqlite" else (_psycopg_error(),)
        with pytest.raises(errors) as caught:
            self.run(sql, *params)
        return str(caught.value)

    def counters_match_truth(self):
        columns = ", ".join(f"c.{col}, {truth}" for col, truth in checks.COUNTER_TRUTH.items())
        for row in self.run(f"SELECT c.id, {columns} FROM courses c ORDER BY c.id"):
            pairs = zip(row[1::2], row[2::2], strict=True)
            for (found, expected), name in zip(pairs, checks.COUNTER_TRUTH, strict=True):
                same = (found is None and expected is None) or (
                    found is not None and expected is not None
                    and abs(float(found) - float(expected)) < 1e-9)
                assert same, f"{self.engine}: course {row[0]}: {name} {found} != {expected}"
        return True

    def no_counter_drifts(self):
        """Every counter of 009 and 017, as the engine's `courselab check` sees them."""
        drift = (checks if self.engine == "sqlite" else pg_data).counter_drift(self.conn)
        assert drift == [], f"{self.engine}: {drift[:3]}"
        return True


def _psycopg_error():
    import psycopg

    return psycopg.Error


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request, make_db):
    if request.param == "sqlite":
        yield Platform("sqlite", make_db())
        return
    conn = postgres.connect(request.getfixturevalue("make_pg_url")(load=True))
    yield Platform("postgresql", conn)
    conn.close()


def test_the_fixtures_start_with_every_counter_right(platform):
    assert platform.counters_match_truth()


def test_enrollments_keep_enrollment_count_through_insert_move_and_delete(platform):
    platform.run("INSERT INTO users (id, name, email) VALUES ('u-new', 'New', 'n@x.org')")
    platform.run("INSERT INTO enrollments (user_id, course_id) VALUES ('u-new', 'c-sql')")
    platform.run("UPDATE enrollments SET course_id = 'c-python' WHERE user_id = 'u-new'")
    assert platform.counters_match_truth()
    platform.run("DELETE FROM users WHERE id = 'u-new'")
    assert platform.counters_match_truth()


def test_reviews_keep_count_sum_and_average_through_edits_and_cascades(platform):
    platform.run("UPDATE reviews SET rating = 1 WHERE course_id = 'c-sql'")
    assert platform.counters_match_truth()
    platform.run("UPDATE reviews SET course_id = 'c-nosql' WHERE id = "
                 "(SELECT MIN(id) FROM reviews WHERE course_id = 'c-sql')")
    assert platform.counters_match_truth()
    platform.run("DELETE FROM users WHERE id IN (SELECT user_id FROM reviews)")
    assert platform.value("SELECT COUNT(*) FROM reviews") == 0
    assert platform.counters_match_truth()


def test_lessons_keep_lesson_count_when_moved_between_courses_and_cascaded(platform):
    section = platform.value("SELECT MIN(id) FROM sections WHERE course_id = 'c-sql'")
    other = platform.value("SELECT MIN(id) FROM sections WHERE course_id = 'c-python'")
    platform.run("UPDATE lessons SET section_id = ? WHERE section_id = ?", other, section)
    assert platform.counters_match_truth()
    platform.run("UPDATE sections SET course_id = 'c-nosql' WHERE id = ?", other)
    assert platform.counters_match_truth()
    platform.run("DELETE FROM sections WHERE id = ?", other)
    assert platform.counters_match_truth()
    platform.run("DELETE FROM courses WHERE id = 'c-python'")
    assert platform.value("SELECT COUNT(*) FROM sections WHERE course_id = 'c-python'") == 0
    assert platform.counters_match_truth()


def test_a_row_pointing_nowhere_is_refused(platform):
    assert platform.refused("INSERT INTO enrollments (user_id, course_id) "
                            "VALUES ('u-nobody', 'c-sql')")
    assert platform.refused("INSERT INTO lessons (id, section_id, title, slug) "
                            "VALUES ('l-x', 's-nowhere', 'X', 'x')")


def test_a_rating_outside_one_to_five_or_a_second_review_is_refused(platform):
    user, course = platform.run("SELECT user_id, course_id FROM reviews ORDER BY id")[0]
    assert platform.refused("INSERT INTO reviews (id, user_id, course_id, rating) "
                            "VALUES ('r-dup', ?, ?, 5)", user, course)
    assert platform.refused("UPDATE reviews SET rating = 6 WHERE user_id = ?", user)


def _add_course(platform, course_id):
    platform.run("INSERT INTO courses (id, title) VALUES (?, ?)", course_id, course_id)


def test_a_course_cannot_require_itself_or_close_a_cycle_of_any_depth(platform):
    for course in ("k-a", "k-b", "k-c", "k-d"):
        _add_course(platform, course)
    assert "self" in platform.refused("INSERT INTO course_prerequisites VALUES ('k-a', 'k-a')")
    for course, needs in (("k-a", "k-b"), ("k-b", "k-c"), ("k-c", "k-d")):
        platform.run("INSERT INTO course_prerequisites VALUES (?, ?)", course, needs)
    assert "cycle" in platform.refused("INSERT INTO course_prerequisites VALUES ('k-b', 'k-a')")
    assert "cycle" in platform.refused("INSERT INTO course_prerequisites VALUES ('k-d', 'k-a')")
    assert "cycle" in platform.refused("UPDATE course_prerequisites SET prerequisite_id = 'k-a' "
                                       "WHERE course_id = 'k-c'")
    platform.run("INSERT INTO course_prerequisites VALUES ('k-a', 'k-c')")  # a shortcut
    platform.run("DELETE FROM courses WHERE id = 'k-c'")
    assert platform.value("SELECT COUNT(*) FROM course_prerequisites WHERE 'k-c' IN "
                          "(course_id, prerequisite_id)") == 0


def test_an_enrollment_needs_every_direct_prerequisite_completed(platform):
    course, needs = "k-next", "k-base"
    for new in (needs, course):
        _add_course(platform, new)
    platform.run("INSERT INTO course_prerequisites VALUES (?, ?)", course, needs)
    platform.run("INSERT INTO users (id, name, email) VALUES ('u-fresh', 'F', 'f@x.org')")
    assert "prerequisite" in platform.refused(
        "INSERT INTO enrollments (user_id, course_id) VALUES ('u-fresh', ?)", course)
    platform.run("INSERT INTO enrollments (user_id, course_id, completed_at) "
                 "VALUES ('u-fresh', ?, '2026-01-01 00:00:00')", needs)
    platform.run("INSERT INTO enrollments (user_id, course_id) VALUES ('u-fresh', ?)", course)
    assert platform.counters_match_truth()


def test_quiz_attempts_are_numbered_per_user_and_quiz_and_never_edited(platform):
    user, quiz, last = platform.run("SELECT user_id, quiz_id, MAX(attempt_no) FROM quiz_attempts "
                                    "GROUP BY user_id, quiz_id ORDER BY user_id, quiz_id")[0]
    assert "next number" in platform.refused(
        "INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no) VALUES ('qa-x', ?, ?, ?)",
        user, quiz, last + 2)
    platform.run("INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no) "
                 "VALUES ('qa-x', ?, ?, ?)", user, quiz, last + 1)
    assert "not edited" in platform.refused(
        "UPDATE quiz_attempts SET attempt_no = 99 WHERE id = 'qa-x'")
    assert "not edited" in platform.refused(
        "UPDATE quiz_answers SET choice_id = choice_id WHERE attempt_id = "
        "(SELECT MIN(attempt_id) FROM quiz_answers)")


def test_an_answer_must_choose_a_choice_of_its_question_in_the_attempts_quiz(platform):
    attempt, quiz = platform.run("SELECT id, quiz_id FROM quiz_attempts ORDER BY id")[0]
    question = platform.value("SELECT MIN(q.id) FROM questions q WHERE q.quiz_id = ? AND "
                              "q.id NOT IN (SELECT question_id FROM quiz_answers "
                              "WHERE attempt_id = ?)", quiz, attempt) or platform.value(
        "SELECT MIN(id) FROM questions WHERE quiz_id = ?", quiz)
    foreign_choice = platform.value("SELECT MIN(id) FROM choices WHERE question_id <> ?", question)
    assert platform.refused("INSERT INTO quiz_answers VALUES (?, ?, ?)",
                            attempt, question, foreign_choice)
    other_quiz_question = platform.value("SELECT MIN(q.id) FROM questions q WHERE q.quiz_id <> ?",
                                         quiz)
    own_choice = platform.value("SELECT MIN(id) FROM choices WHERE question_id = ?",
                                other_quiz_question)
    assert "not in the quiz" in platform.refused("INSERT INTO quiz_answers VALUES (?, ?, ?)",
                                                 attempt, other_quiz_question, own_choice)


def test_a_score_is_derived_from_the_answers(platform):
    for attempt, correct, questions, score in platform.run(
            "SELECT attempt_id, correct, questions, score FROM attempt_scores ORDER BY attempt_id"):
        assert float(score) == round(100.0 * correct / questions, 1), attempt


def test_one_bookmark_per_user_per_lesson_gone_with_its_user_and_lesson(platform):
    user, lesson = platform.run("SELECT user_id, lesson_id FROM bookmarks ORDER BY user_id")[0]
    assert platform.refused("INSERT INTO bookmarks (user_id, lesson_id) VALUES (?, ?)",
                            user, lesson)
    assert platform.refused("INSERT INTO bookmarks (user_id, lesson_id, note) VALUES (?, ?, '')",
                            "u-ada" if user != "u-ada" else "u-bob", lesson)
    platform.run("DELETE FROM lessons WHERE id = ?", lesson)
    assert platform.value("SELECT COUNT(*) FROM bookmarks WHERE lesson_id = ?", lesson) == 0
    platform.run("DELETE FROM users WHERE id = ?", user)
    assert platform.value("SELECT COUNT(*) FROM bookmarks WHERE user_id = ?", user) == 0
    assert platform.counters_match_truth()


def test_moving_the_completed_prerequisite_enrollment_itself_is_refused(platform):
    for course in ("k-intro", "k-adv"):
        _add_course(platform, course)
    platform.run("INSERT INTO course_prerequisites VALUES ('k-adv', 'k-intro')")
    platform.run("INSERT INTO users (id, name, email) VALUES ('u-mover', 'M', 'm@x.org')")
    platform.run("INSERT INTO enrollments (user_id, course_id, completed_at) "
                 "VALUES ('u-mover', 'k-intro', '2026-01-01 00:00:00')")
    assert "prerequisite" in platform.refused(
        "UPDATE enrollments SET course_id = 'k-adv' WHERE user_id = 'u-mover'")
    assert platform.counters_match_truth()


def test_an_answered_question_cannot_move_to_another_quiz(platform):
    question, quiz = platform.run("SELECT q.id, q.quiz_id FROM questions q WHERE q.id IN "
                                  "(SELECT question_id FROM quiz_answers) ORDER BY q.id")[0]
    other = platform.value("SELECT MIN(id) FROM quizzes WHERE id <> ?", quiz)
    assert "answers" in platform.refused("UPDATE questions SET quiz_id = ? WHERE id = ?",
                                         other, question)


def _lessons_done(platform, user, course):
    return platform.value("SELECT lessons_done FROM enrollments WHERE user_id = ? "
                          "AND course_id = ?", user, course)


def _lesson_not_done(platform, user, course):
    return platform.value(
        "SELECT MIN(l.id) FROM lessons l JOIN sections s ON s.id = l.section_id "
        "WHERE s.course_id = ? AND l.id NOT IN (SELECT lesson_id FROM progress WHERE user_id = ?)",
        course, user)


def test_progress_keeps_lessons_done_through_insert_move_and_delete(platform):
    user, course = platform.run("SELECT user_id, course_id FROM enrollments "
                                "ORDER BY user_id, course_id")[0]
    before = _lessons_done(platform, user, course)
    lesson = _lesson_not_done(platform, user, course)
    platform.run("INSERT INTO progress (user_id, lesson_id) VALUES (?, ?)", user, lesson)
    assert _lessons_done(platform, user, course) == before + 1
    assert platform.no_counter_drifts()
    other = platform.value("SELECT MIN(l.id) FROM lessons l JOIN sections s ON "
                           "s.id = l.section_id WHERE s.course_id <> ? AND l.id NOT IN "
                           "(SELECT lesson_id FROM progress WHERE user_id = ?)", course, user)
    platform.run("UPDATE progress SET lesson_id = ? WHERE user_id = ? AND lesson_id = ?",
                 other, user, lesson)
    assert _lessons_done(platform, user, course) == before
    assert platform.no_counter_drifts()
    platform.run("DELETE FROM progress WHERE user_id = ?", user)
    assert _lessons_done(platform, user, course) == 0
    assert platform.no_counter_drifts()


def test_a_re_created_enrollment_counts_the_progress_its_user_kept(platform):
    user, course = platform.run("SELECT e.user_id, e.course_id FROM enrollments e WHERE "
                                "e.lessons_done > 0 ORDER BY 1, 2")[0]
    kept = _lessons_done(platform, user, course)
    platform.run("DELETE FROM enrollments WHERE user_id = ? AND course_id = ?", user, course)
    assert platform.no_counter_drifts()
    platform.run("INSERT INTO enrollments (user_id, course_id) VALUES (?, ?)", user, course)
    assert _lessons_done(platform, user, course) == kept
    platform.run("UPDATE enrollments SET completed_at = '2026-06-01 10:00:00' "
                 "WHERE user_id = ? AND course_id = ?", user, course)
    assert platform.no_counter_drifts()


def test_lessons_and_sections_moved_or_deleted_take_their_progress_along(platform):
    section = platform.value("SELECT MIN(s.id) FROM sections s JOIN lessons l ON "
                             "l.section_id = s.id JOIN progress p ON p.lesson_id = l.id")
    lesson = platform.value("SELECT MIN(l.id) FROM lessons l JOIN progress p ON "
                            "p.lesson_id = l.id WHERE l.section_id = ?", section)
    target = platform.value("SELECT MIN(id) FROM sections WHERE course_id <> "
                            "(SELECT course_id FROM sections WHERE id = ?)", section)
    platform.run("UPDATE lessons SET section_id = ? WHERE id = ?", target, lesson)
    assert platform.no_counter_drifts()
    platform.run("UPDATE sections SET course_id = 'c-nosql' WHERE id = ?", section)
    assert platform.no_counter_drifts()
    platform.run("DELETE FROM lessons WHERE id = ?", lesson)
    assert platform.no_counter_drifts()
    platform.run("DELETE FROM sections WHERE id = ?", section)
    assert platform.no_counter_drifts()
    platform.run("UPDATE courses SET title = 'Renamed' WHERE id = 'c-sql'")
    assert platform.value("SELECT MIN(course_title) FROM enrollments "
                          "WHERE course_id = 'c-sql'") == "Renamed"
    platform.run("DELETE FROM courses WHERE id = 'c-design'")
    assert platform.no_counter_drifts()
