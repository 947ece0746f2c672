"""Migrations 012-013: quizzes, attempts and answers, derived scores, and their queries."""

import re
import sqlite3

import pytest

from courselab import migrate, quizzes
from courselab.errors import QuizError

# Hand-scored from data/quiz_answers.csv against the is_correct column of data/choices.csv.
# qz-select has 3 questions (pass 70%), qz-joins 2 (pass 50%).
#   qa-1 ada    select #1: 1a right, 2a wrong, 3b right        -> 2/3 = 66.7, fails
#   qa-2 ada    select #2: 1a, 2b, 3b all right                -> 3/3 = 100, passes
#   qa-3 alan   select #1: 1b wrong, 2b right, 3 unanswered    -> 1/3 = 33.3, fails
#   qa-4 grace  select #1: 1a right, 2b right, 3c wrong        -> 2/3 = 66.7, fails
#   qa-5 ada    joins  #1: 1b, 2b right                        -> 2/2 = 100, passes
#   qa-6 grace  joins  #1: 1a, 2a wrong                        -> 0/2 = 0, fails
#   qa-7 grace  joins  #2: 1b right, 2a wrong                  -> 1/2 = 50, passes (50 >= 50)
#   qa-8 grace  joins  #3: 1b, 2b right                        -> 2/2 = 100, passes
FIXTURE_SCORES = {
    "qa-1": (1, 2, 3, 66.7, 0), "qa-2": (2, 3, 3, 100.0, 1), "qa-3": (1, 1, 3, 33.3, 0),
    "qa-4": (1, 2, 3, 66.7, 0), "qa-5": (1, 2, 2, 100.0, 1), "qa-6": (1, 0, 2, 0.0, 0),
    "qa-7": (2, 1, 2, 50.0, 1), "qa-8": (3, 2, 2, 100.0, 1),
}


def schema(conn):
    return sorted(tuple(row) for row in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


def count(conn, table):
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def score(conn, attempt_id):
    return conn.execute("SELECT score FROM attempt_scores WHERE attempt_id = ?",
                        (attempt_id,)).fetchone()[0]


def test_attempt_scores_are_derived_from_the_fixture_answers(db):
    rows = db.execute("SELECT attempt_id, attempt_no, correct, questions, score, passed "
                      "FROM attempt_scores").fetchall()
    assert {row[0]: tuple(row[1:]) for row in rows} == FIXTURE_SCORES


def test_best_score_per_user_per_quiz(db):
    # From FIXTURE_SCORES: the highest score of each user on each quiz, and the first
    # attempt that reached it (grace reached 100 on joins at her 3rd attempt).
    assert [tuple(row) for row in quizzes.best_scores(db)] == [
        ("qz-joins", "u-ada", 1, 100.0, 1, 1),
        ("qz-joins", "u-grace", 3, 100.0, 3, 1),
        ("qz-select", "u-ada", 2, 100.0, 2, 1),
        ("qz-select", "u-alan", 1, 33.3, 1, 0),
        ("qz-select", "u-grace", 1, 66.7, 1, 0),
    ]


def test_pass_rate_per_quiz(db):
    # qz-joins: ada and grace tried, both passed once: 2/2 = 100%, 4 attempts.
    # qz-keys: nobody tried: rate NULL. qz-select: ada, alan, grace tried, ada passed:
    # 1/3 = 33.3%, 4 attempts.
    assert [tuple(row) for row in quizzes.pass_rates(db)] == [
        ("qz-joins", "Joins", 50, 2, 2, 100.0, 4),
        ("qz-keys", "Junction tables", 70, 0, 0, None, 0),
        ("qz-select", "Your first SELECT", 70, 3, 1, 33.3, 4),
    ]


def test_submitting_an_attempt_numbers_it_and_scores_it(db):
    # u-ada has attempts 1 and 2 on qz-select: this is 3. Two of three answers right,
    # the third question left out counts as wrong.
    row = quizzes.submit_attempt(db, "u-ada", "qz-select",
                                 {"qn-select-1": "ch-select-1a", "qn-select-2": "ch-select-2b"},
                                 attempt_id="qa-new", submitted_at="2026-04-01 10:00:00")
    assert (row["attempt_id"], row["attempt_no"], row["correct"], row["questions"],
            row["score"], row["passed"]) == ("qa-new", 3, 2, 3, 66.7, 0)


def test_a_first_attempt_is_number_one_and_gets_an_id_and_a_time(db):
    row = quizzes.submit_attempt(db, "u-edgar", "qz-keys",
                                 {"qn-keys-1": "ch-keys-1b", "qn-keys-2": "ch-keys-2a"})
    assert (row["attempt_no"], row["score"], row["passed"]) == (1, 100.0, 1)
    stored = db.execute("SELECT id, submitted_at FROM quiz_attempts WHERE user_id = 'u-edgar'"
                        ).fetchone()
    assert stored["id"] and stored["submitted_at"]


def test_a_refused_answer_refuses_the_whole_attempt(db):
    before = (count(db, "quiz_attempts"), count(db, "quiz_answers"))
    with pytest.raises(QuizError, match="qz-select"):
        quizzes.submit_attempt(db, "u-alan", "qz-select",
                               {"qn-select-1": "ch-select-1a", "qn-select-2": "ch-joins-1b"})
    assert (count(db, "quiz_attempts"), count(db, "quiz_answers")) == before


@pytest.mark.parametrize("sql, message", [
    # u-ada's next attempt on qz-select is 3: 2 exists, 4 would skip, 0 is not a number.
    ("INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no) "
     "VALUES ('qa-x', 'u-ada', 'qz-select', 2)", "next number"),
    ("INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no) "
     "VALUES ('qa-x', 'u-ada', 'qz-select', 4)", "next number"),
    ("INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no) "
     "VALUES ('qa-x', 'u-ada', 'qz-select', NULL)", "next number"),
    ("UPDATE quiz_attempts SET attempt_no = 5 WHERE id = 'qa-1'", "not edited"),
    # qa-3 (alan, qz-select) left qn-select-3 unanswered.
    ("INSERT INTO quiz_answers VALUES ('qa-3', 'qn-select-3', 'ch-select-1a')", "FOREIGN KEY"),
    ("INSERT INTO quiz_answers VALUES ('qa-3', 'qn-joins-1', 'ch-joins-1b')", "not in the quiz"),
    ("INSERT INTO quiz_answers VALUES ('qa-3', 'qn-select-1', 'ch-select-1a')", "not replaced"),
    ("UPDATE quiz_answers SET choice_id = 'ch-select-1a' WHERE attempt_id = 'qa-3' "
     "AND question_id = 'qn-select-1'", "not edited"),
    ("INSERT INTO choices (id, question_id, body, is_correct) "
     "VALUES ('ch-x', 'qn-select-1', 'HAVING', 1)", "UNIQUE"),
    ("INSERT INTO choices (id, question_id, body, is_correct) "
     "VALUES ('ch-x', 'qn-select-1', 'HAVING', 2)", "CHECK"),
    ("INSERT INTO quizzes (id, lesson_id, title, pass_percent) "
     "VALUES ('qz-x', 'l-sql-1', 'X', 101)", "CHECK"),
])
def test_the_database_refuses_bad_quiz_rows(db, sql, message):
    with pytest.raises(sqlite3.IntegrityError, match=message):
        db.execute(sql)


def test_adding_a_question_changes_the_scores_already_earned(db):
    # qa-5 (ada, joins) was 2/2; with a third question it is 2/3: the price of deriving.
    db.execute("INSERT INTO questions (id, quiz_id, body, position) "
               "VALUES ('qn-joins-3', 'qz-joins', 'Which join keeps both sides?', 3)")
    assert score(db, "qa-5") == 66.7


def test_deleting_a_user_deletes_their_attempts_and_answers(db):
    # u-grace has qa-4, qa-6, qa-7, qa-8 with 3 + 2 + 2 + 2 = 9 answers.
    attempts, answers = count(db, "quiz_attempts"), count(db, "quiz_answers")
    db.execute("DELETE FROM users WHERE id = 'u-grace'")
    assert (count(db, "quiz_attempts"), count(db, "quiz_answers")) == (attempts - 4, answers - 9)


def test_deleting_a_lesson_deletes_its_quiz_and_everything_under_it(db):
    # l-sql-4 holds qz-joins: 2 questions, 4 choices, 4 attempts, 8 answers.
    db.execute("DELETE FROM lessons WHERE id = 'l-sql-4'")
    assert (count(db, "quizzes"), count(db, "questions"), count(db, "choices"),
            count(db, "quiz_attempts"), count(db, "quiz_answers")) == (2, 5, 13, 4, 11)


def test_the_attempt_number_uses_the_unique_key_index(db):
    plan = " ".join(row[3] for row in db.execute(
        "EXPLAIN QUERY PLAN SELECT MAX(attempt_no) FROM quiz_attempts "
        "WHERE user_id = 'u-ada' AND quiz_id = 'qz-select'"))
    assert "SEARCH quiz_attempts USING COVERING INDEX" in plan


def test_rolling_back_013_keeps_every_quiz(db):
    migrate.rollback(db, to="012", force=True)
    assert (count(db, "quizzes"), count(db, "questions"), count(db, "choices")) == (3, 7, 17)


def test_notebook_17_sequence_alan_retakes_then_a_question_is_added(db):
    # Alan's second attempt on qz-select, all 3 right: attempt 2, 100, passed. Then ada
    # and alan have passed, grace has not: 2/3 = 66.7%, over 5 attempts.
    row = quizzes.submit_attempt(
        db, "u-alan", "qz-select",
        {"qn-select-1": "ch-select-1a", "qn-select-2": "ch-select-2b",
         "qn-select-3": "ch-select-3b"}, attempt_id="qa-9", submitted_at="2026-03-12 12:00:00")
    assert tuple(row) == ("qa-9", "u-alan", "qz-select", 2, 3, 3, 100.0, 1)
    select = next(r for r in quizzes.pass_rates(db) if r["quiz_id"] == "qz-select")
    assert (select["users_passed"], select["pass_rate"], select["attempts"]) == (2, 66.7, 5)
    # A third question on qz-joins (pass 50%): ada 2/3 and grace's qa-8 2/3 still pass.
    db.execute("INSERT INTO questions (id, quiz_id, body, position) "
               "VALUES ('qn-joins-3', 'qz-joins', 'Which join keeps both sides?', 3)")
    assert [tuple(row) for row in quizzes.pass_rates(db)] == [
        ("qz-joins", "Joins", 50, 2, 2, 100.0, 4),
        ("qz-keys", "Junction tables", 70, 0, 0, None, 0),
        ("qz-select", "Your first SELECT", 70, 3, 2, 66.7, 5),
    ]


def test_a_users_best_score_is_found_through_the_attempt_key_without_a_scan(db):
    plan = [row[3] for row in db.execute(
        "EXPLAIN QUERY PLAN SELECT MAX(score) FROM attempt_scores "
        "WHERE user_id = 'u-grace' AND quiz_id = 'qz-joins'")]
    assert "SEARCH a USING INDEX sqlite_autoindex_quiz_attempts_2 (user_id=? AND quiz_id=?)" in plan
    assert not [step for step in plan if step.startswith("SCAN")]


@pytest.mark.parametrize("sql, message", [
    # qa-1 (ada, qz-select #1) answered qn-select-1 with ch-select-1a (right).
    ("INSERT OR REPLACE INTO quiz_answers VALUES ('qa-1', 'qn-select-1', 'ch-select-1b')",
     "not replaced"),
    ("REPLACE INTO quiz_answers VALUES ('qa-1', 'qn-select-1', 'ch-select-1b')", "not replaced"),
    ("INSERT OR REPLACE INTO quiz_attempts (id, user_id, quiz_id, attempt_no) "
     "VALUES ('qa-1', 'u-ada', 'qz-select', 3)", "not replaced"),
    ("UPDATE questions SET quiz_id = 'qz-joins' WHERE id = 'qn-select-1'", "has answers"),
    ("INSERT OR REPLACE INTO questions (id, quiz_id, body) "
     "VALUES ('qn-select-1', 'qz-joins', 'Moved?')", "answers behind"),
    ("INSERT OR REPLACE INTO choices (id, question_id, body, is_correct) "
     "VALUES ('ch-select-1a', 'qn-select-1', 'WHERE', 0)", "answers behind"),
    # The choice-of-its-question rule, by UPDATE of either side.
    ("UPDATE quiz_answers SET question_id = 'qn-select-2' WHERE attempt_id = 'qa-1' "
     "AND question_id = 'qn-select-1'", "not edited"),
    ("UPDATE choices SET question_id = 'qn-select-3' WHERE id = 'ch-select-2a'", "FOREIGN KEY"),
    ("UPDATE quiz_attempts SET quiz_id = 'qz-joins' WHERE id = 'qa-1'", "not edited"),
])
def test_update_and_replace_refuse_what_insert_refuses_and_keep_every_score(db, sql, message):
    before = db.execute("SELECT * FROM attempt_scores ORDER BY attempt_id").fetchall()
    with pytest.raises(sqlite3.IntegrityError, match=message):
        db.execute(sql)
    assert db.execute("SELECT * FROM attempt_scores ORDER BY attempt_id").fetchall() == before


def test_no_statement_sequence_of_moves_scores_above_100_percent(db):
    # Moving qz-joins's answered questions into qz-select would leave qa-5 (joins, 2/2)
    # with 2 correct answers of 0 questions, and qz-select's attempts with answers outside it.
    for question in ("qn-joins-1", "qn-joins-2"):
        with pytest.raises(sqlite3.IntegrityError, match="has answers"):
            db.execute("UPDATE questions SET quiz_id = 'qz-select' WHERE id = ?", (question,))
    assert db.execute("SELECT COUNT(*) FROM attempt_scores WHERE score > 100 "
                      "OR correct > questions").fetchone()[0] == 0


def test_an_unanswered_question_can_still_move_to_another_quiz(db):
    db.execute("INSERT INTO questions (id, quiz_id, body) VALUES ('qn-new', 'qz-select', 'New?')")
    db.execute("UPDATE questions SET quiz_id = 'qz-joins' WHERE id = 'qn-new'")
    moved = db.execute("SELECT quiz_id FROM questions WHERE id = 'qn-new'").fetchone()[0]
    assert moved == "qz-joins"


@pytest.mark.parametrize("kwargs, says", [
    ({"answers": None}, "answers None: give a dict of question id to choice id"),
    ({"answers": ["ch-1"]}, "answers ['ch-1']: give a dict"),
    ({"answers": {}, "submitted_at": "not a date"}, "submitted_at 'not a date': give an ISO time"),
    ({"answers": {}, "submitted_at": 12345}, "submitted_at 12345: give an ISO time"),
    ({"answers": {}, "user_id": ["u-ada"]}, "user ['u-ada'] and quiz"),
])
def test_a_malformed_attempt_is_one_line_and_records_nothing(db, kwargs, says):
    before = db.execute("SELECT COUNT(*) FROM quiz_attempts").fetchone()[0]
    args = {"user_id": "u-ada", "quiz_id": "qz-joins", **kwargs}
    with pytest.raises(QuizError, match=re.escape(says)):
        quizzes.submit_attempt(db, args.pop("user_id"), args.pop("quiz_id"), **args)
    assert db.execute("SELECT COUNT(*) FROM quiz_attempts").fetchone()[0] == before


def test_before_013_an_attempt_says_to_migrate(make_db):
    with pytest.raises(QuizError, match="no table quiz_attempts yet: migrate to 013 first"):
        quizzes.submit_attempt(make_db(to="012"), "u-ada", "qz-joins", {})
