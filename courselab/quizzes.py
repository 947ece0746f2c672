"""Quizzes (migrations 012-013): submit an attempt, best scores, pass rates.

Scores are never stored: the view attempt_scores derives each attempt's score from its
answers, and the best score per user is a query over that view.
"""

import sqlite3
import uuid
from collections.abc import Mapping
from datetime import datetime

from .db import exists, transaction
from .errors import QuizError

# The next number is computed inside the insert, under the write lock of the
# transaction, so two submissions cannot both take it (and the UNIQUE key would stop it).
INSERT_ATTEMPT = """
INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no, submitted_at)
SELECT :id, :user, :quiz, 1 + COALESCE(MAX(attempt_no), 0), COALESCE(:at, datetime('now'))
FROM quiz_attempts
WHERE user_id = :user AND quiz_id = :quiz
"""

INSERT_ANSWER = """
INSERT INTO quiz_answers (attempt_id, question_id, choice_id) VALUES (?, ?, ?)
"""

SCORE = """
SELECT attempt_id, user_id, quiz_id, attempt_no, correct, questions, score, passed
FROM attempt_scores
WHERE attempt_id = ?
"""

# Per user and quiz: the best score and the first attempt that reached it.
BEST_SCORES = """
WITH ranked AS (
    SELECT s.*,
           ROW_NUMBER() OVER (PARTITION BY user_id, quiz_id
                              ORDER BY score DESC, attempt_no) AS rank,
           COUNT(*)     OVER (PARTITION BY user_id, quiz_id) AS attempts
    FROM attempt_scores s
)
SELECT quiz_id, user_id, attempts, score AS best_score, attempt_no AS best_attempt, passed
FROM ranked
WHERE rank = 1
ORDER BY quiz_id, user_id
"""

# Per quiz: of the users who tried it, the share who passed at least once.
PASS_RATES = """
SELECT z.id AS quiz_id,
       z.title,
       z.pass_percent,
       COUNT(DISTINCT s.user_id)                              AS users,
       COUNT(DISTINCT CASE WHEN s.passed THEN s.user_id END)  AS users_passed,
       ROUND(100.0 * COUNT(DISTINCT CASE WHEN s.passed THEN s.user_id END)
             / COUNT(DISTINCT s.user_id), 1)                  AS pass_rate,
       COUNT(s.attempt_id)                                    AS attempts
FROM quizzes z
LEFT JOIN attempt_scores s ON s.quiz_id = z.id
GROUP BY z.id
ORDER BY z.id
"""


def submit_attempt(conn, user_id, quiz_id, answers, *, attempt_id=None, submitted_at=None):
    """Record one attempt and its answers in one transaction; return its score row.

    `answers` maps question id to the chosen choice id; a question left out counts as
    wrong. The attempt gets the next number for this user and quiz. The row returned
    has attempt_id, user_id, quiz_id, attempt_no, correct, questions, score, passed.
    Raises QuizError, with nothing recorded, when the database refuses any part.
    """
    _refuse_malformed(conn, user_id, quiz_id, answers, submitted_at)
    attempt_id = attempt_id or str(uuid.uuid4())
    try:
        with transaction(conn):
            conn.execute(INSERT_ATTEMPT, {"id": attempt_id, "user": user_id, "quiz": quiz_id,
                                          "at": submitted_at})
            for question_id, choice_id in answers.items():
                conn.execute(INSERT_ANSWER, (attempt_id, question_id, choice_id))
    except sqlite3.IntegrityError as exc:
        raise QuizError(f"attempt of {user_id} on quiz {quiz_id} refused ({exc}); check that "
                        "the user and quiz exist and each choice belongs to its question "
                        "of this quiz") from None
    return conn.execute(SCORE, (attempt_id,)).fetchone()


def _refuse_malformed(conn, user_id, quiz_id, answers, submitted_at):
    """Raise QuizError, before anything is written, for what the database cannot judge."""
    if not exists(conn, "quiz_attempts"):
        raise QuizError("no table quiz_attempts yet: migrate to 013 first")
    if not (isinstance(user_id, str) and isinstance(quiz_id, str)):
        raise QuizError(f"user {user_id!r} and quiz {quiz_id!r}: give their ids as text")
    if not isinstance(answers, Mapping):
        raise QuizError(f"answers {answers!r}: give a dict of question id to choice id, as "
                        "{'q-1': 'c-1a'}")
    try:
        if submitted_at is not None:
            datetime.fromisoformat(submitted_at)
    except (TypeError, ValueError):
        raise QuizError(f"submitted_at {submitted_at!r}: give an ISO time, as "
                        "'2024-05-01T10:00:00Z', or leave it out for now") from None


def best_scores(conn):
    """Each user's best score on each quiz they tried, by quiz then user.

    Rows have quiz_id, user_id, attempts, best_score, best_attempt (the first attempt
    that reached the best score) and passed (1 if the best attempt passed).
    """
    return conn.execute(BEST_SCORES).fetchall()


def pass_rates(conn):
    """Every quiz with how many users tried it and how many passed, by quiz id.

    Rows have quiz_id, title, pass_percent, users, users_passed, pass_rate (percent of
    users who passed at least once; NULL when nobody tried) and attempts.
    """
    return conn.execute(PASS_RATES).fetchall()
