"""Design-first exercises: a student's own schema checked by what it does, never by its text.

In notebooks 16, 17 and 18 the student designs a migration from a short specification before
the project's is shown. Its solution cell carries `-- probe: NAME` (a name of PROBES); then
`check("16.1")` copies the notebook's database (`16.db`) into memory with the backup API and
tries the behaviours the specification asks for, in order. The first that fails is named in
one line ("a course can still require itself"), without saying how to fix it. Afterwards
`adopt(db, "011")` replaces the student's tables with the project's migration.
"""

import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

from . import fixtures, migrate
from .db import apply_pragmas
from .errors import ExerciseError

_NAMED = re.compile(r"^\s*(?:--|#)\s*probe:\s*(\w+)\s*$", re.MULTILINE | re.IGNORECASE)


class Flaw(Exception):
    """The first behaviour of the specification that a design does not have."""


# -- Running SQL on the scratch copy ---------------------------------------------------------

def _refused(conn, sql, params=()):
    """True if the database refuses the statement (it is undone either way it went)."""
    try:
        conn.execute(sql, params)
    except sqlite3.DatabaseError:
        return True
    return False


def _accept(conn, sql, params, flaw):
    """Run a statement the design must accept; a refusal is the Flaw `flaw` (with the reason)."""
    try:
        conn.execute(sql, params)
    except sqlite3.DatabaseError as exc:
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
    # Enrolled, so that a rule "only enrolled users attempt" (notebook 17.2) lets them in.
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
        if got is None or abs(got - want) > 0.05:
            raise Flaw(f"the score of an attempt with {what} is {got}, not {want}")
    conn.execute("INSERT INTO questions (id, quiz_id, body) VALUES ('probe-q-3', 'probe-q', 'q')")
    got = _score(conn, "probe-a1")
    if got is None or abs(got - 100 / 3) > 0.05:
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
    """The numbering rule of 013 alone (notebook 17's fix-the-bug exercise)."""
    _needs_columns(conn, "quiz_attempts", ["id", "user_id", "quiz_id", "attempt_no"])
    _quiz_fixture(conn)
    _numbering(conn)


PROBES = {"prerequisites": prerequisites, "bookmarks": bookmarks, "quizzes": quizzes,
          "attempt_numbering": attempt_numbering}


# -- Scratch copies, verdicts, and the project's design afterwards ---------------------------

def named_in(source):
    """The probe a solution cell names with `-- probe: NAME`, or None."""
    match = _NAMED.search(source or "")
    return match.group(1).lower() if match else None


def scratch_copy(path):
    """An in-memory copy of the database at `path` (sqlite3 backup API), pragmas set."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(":memory:", isolation_level=None)
        source.backup(copy)
    finally:
        source.close()
    apply_pragmas(copy)
    return copy


def first_flaw(probe, path):
    """The one-line flaw of the design in the database at `path`, or None if it passes."""
    if probe not in PROBES:
        return f"no probe named {probe!r} (an instructor fixes the solution's `-- probe:` line)"
    if not Path(path).exists():
        return f"there is no {path} yet: run the notebook's first cell, then your design"
    conn = scratch_copy(path)
    try:
        PROBES[probe](conn)
    except Flaw as flaw:
        return str(flaw)
    finally:
        conn.close()
    return None


def database_of(exercise_id):
    """The notebook database an exercise runs on: `16.1` -> `16.db` (see workbook.start)."""
    return Path(f"{exercise_id.split('.')[0]}.db")


def judge(exercise_id, answer, expected):
    """(ok, reason) for a design exercise, as exercises.compare gives for a query."""
    if answer.error is not None:
        return False, f"your cell raised {type(answer.error).__name__}: {answer.error}; fix it " \
                      "and run it again"
    flaw = first_flaw(expected["probe"], database_of(exercise_id))
    return (True, "every behaviour of the specification holds") if flaw is None else (False, flaw)


def reference_entry(exercise_id, answer):
    """The answers-file fields of a design exercise; ExerciseError if the reference fails."""
    probe = named_in(answer.source)
    flaw = first_flaw(probe, database_of(exercise_id))
    if flaw:
        raise ExerciseError(f"{exercise_id}: the reference design fails its own probe: {flaw}")
    return {"probe": probe}


def adopt(conn, version):
    """Replace whatever the notebook added since its migration by the project's up to `version`.

    Drops every table, view, trigger and index that a fresh database at the current version
    does not have (the student's design), migrates to `version`, and loads the fixtures of
    the new tables. Prints one line.
    """
    current = migrate.current_version(conn)
    reference = sqlite3.connect(":memory:", isolation_level=None)
    migrate.migrate(reference, to=current)
    keep = {row[0] for row in reference.execute("SELECT name FROM sqlite_master")}
    reference.close()
    before = set(_tables(conn))
    extra = [(kind, name) for kind, name in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 WHEN 'index' THEN 2 "
        "ELSE 3 END, name") if name not in keep]
    conn.execute("PRAGMA foreign_keys = OFF")  # the student's tables may reference each other
    try:
        for kind, name in extra:
            conn.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    migrate.migrate(conn, to=version)
    new = [t for t in _tables(conn) if t not in before or t in {n for _, n in extra}]
    loaded = _load_tables(conn, new)
    rows = ", ".join(f"{t} {n}" for t, n in loaded.items()) or "none"
    print(f"your design replaced by the project's migrations up to {version}; rows loaded: {rows}")


def _tables(conn):
    return [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


def _load_tables(conn, tables):
    """Load the fixtures of `tables` only (the others are loaded already)."""
    files = [fixtures.DATA_DIR / f"{t}.csv" for t in tables]
    files = [f for f in files if f.exists()]
    if not files:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        for csv in files:
            shutil.copy(csv, folder)
        return fixtures.load(conn, folder)
