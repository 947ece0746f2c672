"""Random UPDATEs and REPLACEs of quizzes and prerequisites never break their rules (hypothesis).

A RuleBasedStateMachine drives a database at the newest version (fixtures loaded)
through attempts, question and choice moves, INSERT OR REPLACE of answers, attempts,
questions and choices, enrollment moves and prerequisite edits. A statement the rules
refuse must change nothing; after every step: no score above 100%, every answer is
a choice of its question in its attempt's quiz, the prerequisites have no cycle, and
every invariant of `courselab check` holds.
"""

import contextlib
import sqlite3

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from courselab import checks, fixtures, migrate, quizzes
from courselab.db import connect
from courselab.errors import QuizError

picks = st.integers(min_value=0, max_value=1_000)

# Every message a refusal may carry: a constraint of 011-013 or a trigger of 011-016.
REFUSALS = ("UNIQUE", "FOREIGN KEY", "CHECK", "not replaced", "not edited", "has answers",
            "answers behind", "not in the quiz", "enrollment refused", "prerequisite cycle",
            "next number")

_template = None


def template():
    """An in-memory database at the newest version with the fixtures, built once."""
    global _template
    if _template is None:
        _template = connect(":memory:")
        migrate.migrate(_template)
        fixtures.load(_template)
    return _template


class QuizAndPrerequisiteEdits(RuleBasedStateMachine):
    """What authors, admins and a sqlite3 shell do to quizzes and prerequisites."""

    @initialize()
    def fresh_database(self):
        self.conn = connect(":memory:")
        template().backup(self.conn)
        self.serial = 0

    def teardown(self):
        if hasattr(self, "conn"):
            self.conn.close()

    def new_id(self, prefix):
        self.serial += 1
        return f"{prefix}-h{self.serial}"

    def pick(self, sql, index):
        rows = [tuple(row) for row in self.conn.execute(sql)]
        return rows[index % len(rows)] if rows else None

    def refusable(self, sql, params):
        """Run a statement the rules may refuse; a refusal must change nothing."""
        before = self.conn.total_changes
        try:
            self.conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            assert any(reason in str(exc) for reason in REFUSALS), exc
            assert self.conn.total_changes == before

    @rule(i=picks, j=picks, answers=st.lists(picks, max_size=4))
    def submit_attempt(self, i, j, answers):
        (user,), (quiz,) = self.pick("SELECT id FROM users", i), self.pick(
            "SELECT id FROM quizzes", j)
        chosen = {}
        for k in answers:  # choices of any question, so some attempts are refused
            question, choice = self.pick("SELECT question_id, id FROM choices", k)
            chosen[question] = choice
        with contextlib.suppress(QuizError):  # a refused attempt records nothing
            quizzes.submit_attempt(self.conn, user, quiz, chosen, attempt_id=self.new_id("qa"))

    @rule(i=picks, j=picks)
    def move_question(self, i, j):
        (question,), (quiz,) = self.pick("SELECT id FROM questions", i), self.pick(
            "SELECT id FROM quizzes", j)
        self.refusable("UPDATE questions SET quiz_id = ? WHERE id = ?", (quiz, question))

    @rule(i=picks, j=picks)
    def move_choice(self, i, j):
        (choice,), (question,) = self.pick("SELECT id FROM choices", i), self.pick(
            "SELECT id FROM questions", j)
        self.refusable("UPDATE choices SET question_id = ? WHERE id = ?", (question, choice))

    @rule(i=picks, j=picks)
    def replace_answer(self, i, j):
        answer = self.pick("SELECT attempt_id, question_id FROM quiz_answers", i)
        if answer is not None:
            (choice,) = self.pick("SELECT id FROM choices", j)
            self.refusable("INSERT OR REPLACE INTO quiz_answers VALUES (?, ?, ?)",
                           (*answer, choice))

    @rule(i=picks)
    def replace_attempt(self, i):
        attempt = self.pick("SELECT id, user_id, quiz_id, attempt_no FROM quiz_attempts", i)
        if attempt is not None:
            self.refusable("INSERT OR REPLACE INTO quiz_attempts (id, user_id, quiz_id, "
                           "attempt_no) VALUES (?, ?, ?, ? + 1)", attempt)

    @rule(i=picks, j=picks, correct=st.booleans())
    def replace_question_or_choice(self, i, j, correct):
        (question, quiz) = self.pick("SELECT id, quiz_id FROM questions", i)
        self.refusable("INSERT OR REPLACE INTO questions (id, quiz_id, body) VALUES (?, ?, 'Q')",
                       (question, quiz))
        choice = self.pick("SELECT id, question_id FROM choices", j)
        if choice is not None:
            self.refusable("INSERT OR REPLACE INTO choices (id, question_id, body, is_correct) "
                           "VALUES (?, ?, 'C', ?)", (*choice, int(correct)))

    @rule(i=picks, j=picks, column=st.sampled_from(["course_id", "user_id"]))
    def move_enrollment(self, i, j, column):
        user, course = self.pick("SELECT user_id, course_id FROM enrollments", i)
        (target,) = self.pick(f"SELECT id FROM {column[:-3]}s", j)
        self.refusable(f"UPDATE enrollments SET {column} = ? WHERE user_id = ? AND course_id = ?",
                       (target, user, course))

    @rule(i=picks)
    def complete_enrollment(self, i):
        user, course = self.pick("SELECT user_id, course_id FROM enrollments", i)
        self.conn.execute("UPDATE enrollments SET completed_at = '2026-06-01 00:00:00' "
                          "WHERE user_id = ? AND course_id = ?", (user, course))

    @rule(i=picks, j=picks, k=picks, how=st.sampled_from(["INSERT", "INSERT OR REPLACE",
                                                          "UPDATE"]))
    def edit_prerequisite(self, i, j, k, how):
        (course,), (prerequisite,) = self.pick("SELECT id FROM courses", i), self.pick(
            "SELECT id FROM courses", j)
        if how != "UPDATE":
            self.refusable(f"{how} INTO course_prerequisites VALUES (?, ?)", (course, prerequisite))
            return
        edge = self.pick("SELECT course_id, prerequisite_id FROM course_prerequisites", k)
        if edge is not None:
            self.refusable("UPDATE course_prerequisites SET course_id = ?, prerequisite_id = ? "
                           "WHERE course_id = ? AND prerequisite_id = ?",
                           (course, prerequisite, *edge))

    @invariant()
    def no_score_above_100_percent(self):
        assert self.conn.execute("SELECT COUNT(*) FROM attempt_scores WHERE score > 100 "
                                 "OR correct > questions").fetchone()[0] == 0

    @invariant()
    def every_answer_is_a_choice_of_its_question_in_its_quiz(self):
        assert self.conn.execute(
            "SELECT COUNT(*) FROM quiz_answers a JOIN quiz_attempts t ON t.id = a.attempt_id "
            "JOIN questions q ON q.id = a.question_id JOIN choices c ON c.id = a.choice_id "
            "WHERE q.quiz_id <> t.quiz_id OR c.question_id <> a.question_id").fetchone()[0] == 0

    @invariant()
    def prerequisites_have_no_cycle(self):
        assert self.conn.execute(
            "WITH RECURSIVE reach(start, id) AS (SELECT course_id, prerequisite_id "
            "FROM course_prerequisites UNION SELECT r.start, cp.prerequisite_id "
            "FROM reach r JOIN course_prerequisites cp ON cp.course_id = r.id) "
            "SELECT COUNT(*) FROM reach WHERE start = id").fetchone()[0] == 0

    @invariant()
    def every_check_passes(self):
        broken = [(r.name, r.problems) for r in checks.run_checks(self.conn) if not r.ok]
        assert not broken, broken


def test_random_quiz_and_prerequisite_edits_keep_every_rule():
    run_state_machine_as_test(QuizAndPrerequisiteEdits, settings=settings())
