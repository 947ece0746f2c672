"""The behaviours each design-first specification asks for, tried in order on a scratch copy.

Each probe takes a connection to an in-memory copy of a student's database (see probes.py),
adds rows of its own (ids starting with `probe-`), and raises Flaw naming the first behaviour
the design does not have, in words that do not give the solution away.
"""

import sqlite3


class Flaw(Exception):
    """The first behaviour of the specification that a design does not have."""


# -- Running SQL on the scratch copy ---------------------------------------------------------

def interrupted(exc):
    """True if `exc` is a statement stopped by Kernel > Interrupt (sqlmagic.interruptible)."""
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT


def _refused(conn, sql, params=()):
    """True if the database refuses the statement (it is undone either way it went). A
    statement stopped by Kernel > Interrupt is not a refusal: its error goes on."""
    try:
        conn.execute(sql, params)
    except sqlite3.DatabaseError as exc:
        if interrupted(exc):
            raise
        return True
    return False


def _accept(conn, sql, params, flaw):
    """Run a statement the design must accept; a refusal is the Flaw `flaw` (with the reason)."""
    try:
        conn.execute(sql, params)
    except sqlite3.DatabaseError as exc:
        if interrupted(exc):
            raise
        raise Flaw(f"{flaw} (the database said: {exc})") from None


def _refuse(conn, sql, params, flaw):
    if not _refused(conn, sql, params):
        raise Flaw(flaw)


def _count(conn, sql, params=()):
    return conn.execute(sql, params).fetchone()[0]


def _needs_columns(conn, table, columns):
    have = {row[1].lower() for row in conn.execute(f"PRAGMA table_info('{table}')")}
    if not have:
        raise Flaw(f"there is no table {table} yet: create it in the cell above and run it")
    missing = [c for c in columns if c not in have]
    if missing:
        raise Flaw(f"{table} has no column {', '.join(missing)} (the specification names "
                   f"{', '.join(columns)})")


def _course(conn, course_id):
    conn.execute("INSERT INTO courses (id, title) VALUES (?, ?)", (course_id, course_id))


def _lesson(conn, lesson_id, section_id):
    conn.execute("INSERT INTO lessons (id, section_id, title, slug) VALUES (?, ?, ?, ?)",
                 (lesson_id, section_id, lesson_id, lesson_id))


def _user(conn, user_id):
    conn.execute("INSERT INTO users (id, name, email) VALUES (?, ?, ?)",
                 (user_id, user_id, f"{user_id}@probe.example"))


# -- The probes: each raises Flaw at the first behaviour missing --------------------------

def prerequisites(conn):
    """Challenge 1 (011): course_prerequisites(course_id, prerequisite_id)."""
    _needs_columns(conn, "course_prerequisites", ["course_id", "prerequisite_id"])
    a, b, c, d, e = (f"probe-{x}" for x in "abcde")
    for course in (a, b, c, d, e):
        _course(conn, course)
    add = "INSERT INTO course_prerequisites (course_id, prerequisite_id) VALUES (?, ?)"
    _accept(conn, add, (a, b), "a course cannot require another one")
    _refuse(conn, add, (a, a), "a course can still require itself")
    _refuse(conn, add, (a, "probe-missing"), "a course can require a course that does not exist")
    _refuse(conn, add, (a, b), "the same prerequisite can be recorded twice for a course")
    _refuse(conn, add, (b, a), "a cycle of two courses is accepted (a requires b, b requires a)")
    _accept(conn, add, (b, c), "a chain of prerequisites (a → b → c) is refused")
    _accept(conn, add, (c, d), "a chain of prerequisites (a → b → c → d) is refused")
    _refuse(conn, add, (d, a), "a cycle of four courses is accepted (a → b → c → d → a)")
    _accept(conn, add, (a, c), "a shortcut is refused: a may require c when a → b → c exists, "
                               "that is not a cycle")
    _accept(conn, add, (e, b), "two courses cannot require the same course")
    _accept(conn, "DELETE FROM courses WHERE id = ?", (b,),
            "a course that other courses require cannot be deleted")
    if _count(conn, "SELECT COUNT(*) FROM course_prerequisites WHERE ? IN (course_id, "
                    "prerequisite_id)", (b,)):
        raise Flaw("a deleted course leaves its prerequisite rows behind")


def bookmarks(conn):
    """Challenge 4 (014): bookmarks(user_id, lesson_id, created_at)."""
    _needs_columns(conn, "bookmarks", ["user_id", "lesson_id", "created_at"])
    _user(conn, "probe-u")
    _user(conn, "probe-v")
    _course(conn, "probe-c")
    conn.execute("INSERT INTO sections (id, course_id, title) VALUES ('probe-s', 'probe-c', 's')")
    for lesson in ("probe-l", "probe-m"):
        _lesson(conn, lesson, "probe-s")
    add = "INSERT INTO bookmarks (user_id, lesson_id) VALUES (?, ?)"
    _accept(conn, add, ("probe-u", "probe-l"),
            "a bookmark with only its user and lesson is refused")
    filled = _count(conn, "SELECT datetime(created_at) IS NOT NULL FROM bookmarks "
                          "WHERE user_id = 'probe-u' AND lesson_id = 'probe-l'")
    if not filled:
        raise Flaw("created_at is not filled in by the database when a bookmark is added")
    _refuse(conn, add, ("probe-u", "probe-l"), "a user can bookmark the same lesson twice")
    _accept(conn, add, ("probe-v", "probe-l"), "two users cannot bookmark the same lesson")
    _accept(conn, add, ("probe-u", "probe-m"), "a user cannot bookmark two lessons")
    _refuse(conn, add, ("probe-u", "probe-missing"),
            "a bookmark can point at a lesson that does not exist")
    _refuse(conn, add, ("probe-nobody", "probe-l"),
            "a bookmark can belong to a user who does not exist")
    _accept(conn, "DELETE FROM lessons WHERE id = 'probe-l'", (),
            "a lesson that has bookmarks cannot be deleted")
    if _count(conn, "SELECT COUNT(*) FROM bookmarks WHERE lesson_id = 'probe-l'"):
        raise Flaw("a bookmark stays after its lesson is deleted")
    _accept(conn, "DELETE FROM users WHERE id = 'probe-u'", (),
            "a user who has bookmarks cannot be deleted")
    if _count(conn, "SELECT COUNT(*) FROM bookmarks WHERE user_id = 'probe-u'"):
        raise Flaw("a bookmark stays after its user is deleted")


def _quiz_fixture(conn):
    """Two enrolled users, a quiz of two questions (two choices each, one correct), a 2nd quiz."""
    for user in ("probe-u", "probe-v"):
        _user(conn, user)
    _course(conn, "probe-c")
    conn.execute("INSERT INTO sections (id, course_id, title) VALUES ('probe-s', 'probe-c', 's')")
    _lesson(conn, "probe-l", "probe-s")
    # Enrolled, so that a rule "only enrolled users attempt" (exercise 20.2) lets them in.
    conn.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('probe-u', 'probe-c'), "
                 "('probe-v', 'probe-c')")
    for quiz in ("probe-q", "probe-r"):
        conn.execute("INSERT INTO quizzes (id, lesson_id, title) VALUES (?, 'probe-l', ?)",
                     (quiz, quiz))
    for n in (1, 2):
        conn.execute("INSERT INTO questions (id, quiz_id, body) VALUES (?, 'probe-q', 'q')",
                     (f"probe-q-{n}",))
        conn.executemany("INSERT INTO choices (id, question_id, body, is_correct) "
                         "VALUES (?, ?, 'c', ?)", [(f"probe-c-{n}a", f"probe-q-{n}", 1),
                                                   (f"probe-c-{n}b", f"probe-q-{n}", 0)])


_ATTEMPT = "INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no) VALUES (?, ?, ?, ?)"


def _numbering(conn):
    _accept(conn, _ATTEMPT, ("probe-a1", "probe-u", "probe-q", 1), "a user's first attempt "
                                                                   "(number 1) is refused")
    _refuse(conn, _ATTEMPT, ("probe-a1x", "probe-u", "probe-q", 1),
            "attempt 1 can be recorded twice for the same user and quiz")
    _refuse(conn, _ATTEMPT, ("probe-a3", "probe-u", "probe-q", 3),
            "an attempt can skip a number (attempt 3 right after attempt 1)")
    _accept(conn, _ATTEMPT, ("probe-a2", "probe-u", "probe-q", 2), "attempt 2 after attempt 1 "
                                                                   "is refused")
    _accept(conn, _ATTEMPT, ("probe-v1", "probe-v", "probe-q", 1),
            "attempts are not numbered per user: another user's first attempt is refused")
    _accept(conn, _ATTEMPT, ("probe-u-r1", "probe-u", "probe-r", 1),
            "attempts are not numbered per quiz: a first attempt at another quiz is refused")


def _score(conn, attempt):
    row = conn.execute("SELECT score FROM attempt_scores WHERE attempt_id = ?", (attempt,))
    value = row.fetchone()
    return None if value is None else value[0]


def quizzes(conn):
    """Challenge 2 (013): quiz_attempts, quiz_answers and the view attempt_scores."""
    _needs_columns(conn, "quiz_attempts", ["id", "user_id", "quiz_id", "attempt_no"])
    _needs_columns(conn, "quiz_answers", ["attempt_id", "question_id", "choice_id"])
    _needs_columns(conn, "attempt_scores", ["attempt_id", "score"])
    _quiz_fixture(conn)
    _numbering(conn)
    add = "INSERT INTO quiz_answers (attempt_id, question_id, choice_id) VALUES (?, ?, ?)"
    _accept(conn, add, ("probe-a1", "probe-q-1", "probe-c-1a"), "an answer is refused")
    _refuse(conn, add, ("probe-a1", "probe-q-2", "probe-c-1b"),
            "an answer can choose a choice of another question")
    _refuse(conn, add, ("probe-a1", "probe-q-1", "probe-c-1b"),
            "a question can be answered twice in one attempt")
    _accept(conn, add, ("probe-a1", "probe-q-2", "probe-c-2b"), "a second answer is refused")
    for attempt, want, what in (("probe-a1", 50, "one right answer of two"),
                                ("probe-a2", 0, "no answer at all")):
        got = _score(conn, attempt)
        if not isinstance(got, int | float) or abs(got - want) > 0.05:
            raise Flaw(f"the score of an attempt with {what} is {got}, not {want}")
    conn.execute("INSERT INTO questions (id, quiz_id, body) VALUES ('probe-q-3', 'probe-q', 'q')")
    got = _score(conn, "probe-a1")
    if not isinstance(got, int | float) or abs(got - 100 / 3) > 0.05:
        raise Flaw(f"the score does not follow the quiz: with a third question, one right answer "
                   f"scores {got}, not 33.3")
    _accept(conn, "DELETE FROM quiz_attempts WHERE id = 'probe-a1'", (),
            "an attempt that has answers cannot be deleted")
    if _count(conn, "SELECT COUNT(*) FROM quiz_answers WHERE attempt_id = 'probe-a1'"):
        raise Flaw("a deleted attempt leaves its answers behind")
    _accept(conn, "DELETE FROM users WHERE id = 'probe-v'", (),
            "a user who has attempts cannot be deleted")
    if _count(conn, "SELECT COUNT(*) FROM quiz_attempts WHERE user_id = 'probe-v'"):
        raise Flaw("a deleted user's attempts stay")


def attempt_numbering(conn):
    """The numbering rule of 013 alone (notebook 20's fix-the-bug exercise)."""
    _needs_columns(conn, "quiz_attempts", ["id", "user_id", "quiz_id", "attempt_no"])
    _quiz_fixture(conn)
    _numbering(conn)


PROBES = {"prerequisites": prerequisites, "bookmarks": bookmarks, "quizzes": quizzes,
          "attempt_numbering": attempt_numbering}
