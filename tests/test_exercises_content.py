"""The notebooks' checked exercises: each reference solution, run on a database in the state
the notebook reaches, gives what was derived by hand, and wrong answers get the right message.
"""

import ast
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from courselab import (
    bench,
    dashboard,
    editions,
    exercises,
    generate,
    migrate,
    probes,
    queries,
    quizzes,
    workbook,
)
from courselab.db import connect
from courselab.errors import CourselabError
from courselab.exercises import Answer, verdict
from courselab.search import SEARCH_SQL

# -- 23 Performance At Scale ----------------------------------------------------------------
# The notebook's exercises run on the medium dataset (seed 0) at version 015. Generating it
# takes about a second, so it is built once for the module (migrated like make_db does, no
# fixtures) and every test works on its own VACUUM INTO copy: the exercises drop and create
# indexes. No ANALYZE runs, so plans do not depend on row counts: the reviews that the
# notebook's timing cells add to `bare` do not change the plans checked here.

AVG_RATING_23 = "SELECT AVG(rating) FROM reviews WHERE course_id = ?"
POPULAR_INDEX_23 = "CREATE INDEX idx_courses_popular ON courses (enrollment_count DESC, id)"
SQL_COUNTS_23 = """
SELECT difficulty,
       SUM(title LIKE '%sql%' OR description LIKE '%sql%') AS like_courses,
       SUM(rowid IN (SELECT rowid FROM courses_fts WHERE courses_fts MATCH 'sql')) AS match_courses
FROM courses
WHERE is_published = 1
GROUP BY difficulty
"""


@pytest.fixture(scope="module")
def medium_23(tmp_path_factory):
    """Notebook 23's database: version 015, no fixtures, the medium dataset with seed 0."""
    conn = connect(tmp_path_factory.mktemp("nb23") / "23.db")
    migrate.migrate(conn, to="015")
    generate.generate(conn, "medium", seed=0)
    return conn


@pytest.fixture
def platform_23(medium_23, tmp_path):
    """A copy of notebook 23's `db`, for one test to change."""
    return bench.copy_database(medium_23, tmp_path / "23.db")


@pytest.fixture
def bare_23(platform_23, tmp_path):
    """Notebook 23's `bare`: indexes of 008 and 015 dropped, then those of 008 put back."""
    bare = bench.copy_database(platform_23, tmp_path / "23-bare.db")
    bench.drop_indexes(bare, bench.migration_indexes("008", "015"))
    for create_index in bench.migration_indexes("008").values():
        bare.execute(create_index)
    return bare


def verdict_23(exercise_id, value, source="answer"):
    """The line check() prints for `value`, against the committed answers."""
    return verdict(exercise_id, Answer(source, value), answers=exercises.expected_answers())


def test_23_1_without_its_index_the_course_average_scans_every_review(bare_23):
    course, _user = bench.sample_ids(bare_23)
    before = workbook.query_plan(bare_23, AVG_RATING_23, (course,))
    assert before == "SEARCH reviews USING INDEX idx_reviews_course_id (course_id=?)"
    bare_23.execute("DROP INDEX IF EXISTS idx_reviews_course_id")
    plan = workbook.query_plan(bare_23, AVG_RATING_23, (course,))
    assert plan == "SCAN reviews"
    assert verdict_23("23.1", plan) == "23.1: right ✓ (1 row)"


def test_23_2_an_index_in_the_dashboards_order_removes_its_sort(platform_23):
    params = {"limit": 10}
    rows = [tuple(r) for r in platform_23.execute(dashboard.MOST_POPULAR, params)]
    before = workbook.query_plan(platform_23, dashboard.MOST_POPULAR, params)
    assert before == "SCAN courses\nUSE TEMP B-TREE FOR ORDER BY"
    platform_23.execute(POPULAR_INDEX_23)
    plan = workbook.query_plan(platform_23, dashboard.MOST_POPULAR, params)
    assert plan == "SCAN courses USING INDEX idx_courses_popular"
    assert [tuple(r) for r in platform_23.execute(dashboard.MOST_POPULAR, params)] == rows
    assert verdict_23("23.2", plan) == "23.2: right ✓ (1 row)"


def test_23_2_an_index_without_the_tie_breakers_order_still_sorts(platform_23):
    platform_23.execute("CREATE INDEX idx_courses_popular ON courses (enrollment_count, id)")
    plan = workbook.query_plan(platform_23, dashboard.MOST_POPULAR, {"limit": 10})
    assert plan.endswith("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY")
    assert verdict_23("23.2", plan) == \
        "23.2: not yet: the right shape, but the values of column #1 differ. Stuck? hint(\"23.2\")"


def test_23_3_without_order_by_rank_the_search_starts_from_every_published_course(platform_23):
    ranked = workbook.query_plan(platform_23, SEARCH_SQL, ('"python"', 20))
    assert ranked.splitlines()[0] == "SCAN courses_fts VIRTUAL TABLE INDEX 0:M2"
    unranked = SEARCH_SQL.replace("ORDER BY courses_fts.rank, c.id\n", "")
    assert "ORDER BY" not in unranked
    plan = workbook.query_plan(platform_23, unranked, ('"python"', 20))
    assert plan.splitlines() == ["SEARCH c USING INDEX idx_courses_catalog (is_published=?)",
                                 "SCAN courses_fts VIRTUAL TABLE INDEX 0:=M2"]
    published = platform_23.execute("SELECT COUNT(*) FROM courses WHERE is_published = 1")
    assert 900 <= published.fetchone()[0] < 1000  # "nine hundred probes"
    assert verdict_23("23.3", plan) == "23.3: right ✓ (1 row)"
    own_alias = unranked.replace(" c ON c.", " ON courses.").replace("c.", "courses.")
    assert "the values of column #1 differ" in \
        verdict_23("23.3", workbook.query_plan(platform_23, own_alias, ('"python"', 20)))


def _words_23(text):
    """The tokens of FTS5's default tokenizer (unicode61) for ASCII text, lower-cased."""
    return re.findall(r"[a-z0-9]+", text.lower())


def test_23_4_like_finds_sql_inside_longer_words_and_match_finds_the_word(platform_23):
    expected = {}
    for difficulty, title, description in platform_23.execute(
            "SELECT difficulty, title, description FROM courses WHERE is_published = 1"):
        text = f"{title}\n{description or ''}"
        like, match = expected.get(difficulty, (0, 0))
        expected[difficulty] = (like + ("sql" in text.lower()), match + ("sql" in _words_23(text)))
    result = platform_23.execute(SQL_COUNTS_23)
    rows = {difficulty: (like, match) for difficulty, like, match in result}
    assert rows == expected
    assert all(like > match > 0 for like, match in rows.values())
    assert verdict_23("23.4", platform_23.execute(SQL_COUNTS_23)) == "23.4: right ✓ (3 rows)"


def test_23_4_wrong_answers_name_what_differs(platform_23):
    every_course = SQL_COUNTS_23.replace("WHERE is_published = 1\n", "")
    assert "the values of columns like_courses, match_courses differ" in \
        verdict_23("23.4", platform_23.execute(every_course))
    renamed = SQL_COUNTS_23.replace("AS match_courses", "AS matches")
    assert "missing column match_courses; extra column matches" in \
        verdict_23("23.4", platform_23.execute(renamed))


def test_23_1_a_printed_plan_is_not_an_answer():
    assert "the cell above shows no result" in verdict_23("23.1", None, "print(plan)")


# -- 03 Users ... 11 Denormalized Counters --------------------------------------------------
# A test rebuilds the database a notebook has when its exercises start: make_db at the
# notebook's version, plus what its lesson cells change (LESSONS_03_11). It then runs the
# solutions of the notebook's earlier exercises (they run first in the notebook too) and the
# reference solution, read from the notebook itself, the way the notebook runs it: a `%%sql`
# cell statement by statement, showing the last one's rows; a Python cell showing its last
# expression. Expectations are derived by hand from data/*.csv, in the comments.

NOTEBOOKS_03_11 = {path.name[:2]: path for path in editions.series(editions.NOTEBOOKS)
                   if "03" <= path.name[:2] <= "11"}
FRANCES_03 = "INSERT INTO users (id, name, email) VALUES " \
             "('7c9e6679-7425-40de-944b-e07fc1f90ae7', 'Frances Allen', 'frances@example.com')"
# notebook: (fixtures loaded at, migrated to, what its lesson changes before the exercises)
LESSONS_03_11 = {
    "03": ("001", "001", [FRANCES_03]),  # its three refused inserts change nothing
    "04": ("002", "002", ["DELETE FROM courses WHERE id = 'c-design'"]),
    "05": ("003", "003", ["DELETE FROM courses WHERE id = 'c-perf'"]),
    "06": ("004", "004", []),
    "07": ("005", "005", []),  # enrollments_by_id is created, then dropped
    "08": ("006", "006", []),  # the repeated "done" changes no row
    "09": ("007", "007", [
        "INSERT INTO reviews (id, user_id, course_id, rating) "
        "VALUES ('r-8', 'u-donald', 'c-perf', 5)",
        "UPDATE reviews SET rating = 4, body = 'Still good on a second read.' WHERE id = 'r-1'",
        "DELETE FROM users WHERE id = 'u-grace'"]),
    "10": ("007", "008", []),  # the DROP INDEX is rolled back
    "11": ("008", "009", [
        "INSERT INTO lessons (id, section_id, title, slug, position) "
        "VALUES ('l-sql-7', 's-sql-3', 'Window functions', 'window-functions', 3)",
        "UPDATE reviews SET rating = 1 WHERE id = 'r-1'",
        "INSERT INTO enrollments (user_id, course_id, enrolled_at) "
        "VALUES ('u-donald', 'c-sql', '2026-04-10 10:00:00')",
        "INSERT INTO reviews (id, user_id, course_id, rating, created_at) "
        "VALUES ('r-8', 'u-donald', 'c-sql', 2, '2026-04-11 10:00:00')",
        "DELETE FROM reviews WHERE id = 'r-2'",
        "DELETE FROM users WHERE id = 'u-grace'",
        "DELETE FROM sections WHERE id = 's-sql-3'"]),
}


def _refused(message):
    return ["error", "message"], [["IntegrityError", message]]


def _plan(text):
    return None, [[text]]


# exercise: (columns, rows) of the reference solution's result, or of the error it asks for
EXPECTED_03_11 = {
    # Emails are compared byte by byte, so ADA@ is a new address; ignoring case, two match.
    "03.1": (["id", "email"], [["u-ada", "ada@example.com"], ["u-ada-caps", "ADA@example.com"]]),
    "03.2": _refused("NOT NULL constraint failed: users.id"),
    "03.3": _refused("NOT NULL constraint failed: users.created_at"),  # a NULL is not "left out"
    # 9 sections - 2 of c-design (lesson) - 3 of c-sql = 4: c-perf 2, c-python 1, c-nosql 1.
    "04.1": (None, [["c"]]),  # predicted first: (c) 4
    "04.2": (["course_id", "sections"], [["c-nosql", 1], ["c-perf", 2], ["c-python", 1]]),
    "04.3": _refused("CHECK constraint failed: is_published IN (0, 1)"),
    # s-sql-1 held l-sql-1 (1) and l-sql-2 (2); l-sql-2 moves to 3, the new lesson takes 2.
    "05.1": (["id", "position"], [["l-sql-1", 1], ["l-sql-1b", 2], ["l-sql-2", 3]]),
    # c-design: l-design-1, 2 in s-design-1; l-design-3, 4 in s-design-2 (deleted).
    "05.2": (["id"], [["l-design-1"], ["l-design-2"]]),
    # l-python-1 holds position 1 of s-python-1.
    "05.3": _refused("UNIQUE constraint failed: lessons.section_id, lessons.position"),
    "06.1": (["tag"], [["python"], ["sql"]]),  # course_tags: c-python has t-python and t-sql
    # t-sql is on c-sql, c-design and c-python; by title: Python..., Relational..., SQL...
    "06.2": (["id", "title"], [["c-python", "Python for Data Analysis"],
                               ["c-design", "Relational Database Design"],
                               ["c-sql", "SQL Fundamentals"]]),
    # t-design tags c-design and c-nosql: 9 - 2 = 7 course_tags; no course goes.
    "06.3": (["course_tags", "courses"], [[7, 5]]),
    "07.1": (["course_id", "completed_at"], [["c-python", None],  # Alan: c-sql and c-python
                                             ["c-sql", "2026-04-01 12:00:00"]]),
    # the UNIQUE pair gets the one automatic index; the INTEGER PRIMARY KEY is the rowid.
    "07.2": (["name", "unique", "origin"], [["sqlite_autoindex_enrollments_by_id_1", 1, "u"]]),
    "07.3": _plan("SEARCH enrollments USING INDEX idx_enrollments_course_id (course_id=?)"),
    # Grace did l-perf-1..3 on 03-09, 03-12 and 03-15 at 09:00; she is also in c-sql, c-design.
    "08.1": (["course_id", "completed_at"], [["c-design", None],
                                             ["c-perf", "2026-03-15 09:00:00"],
                                             ["c-sql", None]]),
    # Alan's rows: l-sql-1 (kept, 03-03) and l-python-1; l-sql-2 is new.
    "08.2": (["lesson_id", "completed_at"], [["l-python-1", "2026-03-06 12:00:00"],
                                             ["l-sql-1", "2026-03-03 11:00:00"],
                                             ["l-sql-2", "2026-04-01 09:00:00"]]),
    # every fixture progress row has its enrollment; Donald is enrolled in c-perf only.
    "08.3": (["user_id", "lesson_id"], [["u-donald", "l-sql-1"]]),
    "09.1": _refused("CHECK constraint failed: rating IN (1, 2, 3, 4, 5)"),
    # left after the lesson: r-1, r-2 (c-sql), r-5, r-6 (c-design), r-7 (c-python),
    # r-8 (c-perf); Grace's r-3 and r-4 went with her. Deleting c-sql takes r-1 and r-2.
    "09.2": (["course_id", "reviews"], [["c-design", 2], ["c-perf", 1], ["c-python", 1]]),
    "09.3": _refused("FOREIGN KEY constraint failed"),  # Donald is enrolled in c-perf only
    "10.1": _plan("SEARCH courses USING INDEX idx_courses_published_difficulty "
                  "(is_published=? AND difficulty=?)"),
    # reviews: 008's index on user_id; progress and enrollments: their keys start with user_id.
    "10.2": _plan("SEARCH users USING INDEX sqlite_autoindex_users_1 (id=?)\n"
                  "SEARCH reviews USING COVERING INDEX idx_reviews_user_id (user_id=?)\n"
                  "SEARCH progress USING COVERING INDEX sqlite_autoindex_progress_1 (user_id=?)\n"
                  "SEARCH enrollments USING COVERING INDEX sqlite_autoindex_enrollments_1 "
                  "(user_id=?)"),
    "10.3": _plan("SEARCH lessons USING INDEX idx_lessons_position (section_id=?)"),
    "10.4": _plan("SEARCH reviews USING INDEX idx_reviews_course_created (course_id=?)"),
    # c-sql: 6 lessons + l-sql-7 - 3 of s-sql-3 = 4, minus l-sql-1 = 3; c-design: 4 + 1 = 5.
    "11.1": (["id", "lesson_count"], [["c-design", 5], ["c-sql", 3]]),
    # after the lesson: c-sql enrollments Ada, Alan, Barbara, Donald; reviews r-1, r-8.
    # c-perf: Ada, Donald; no review. c-python: Alan, Barbara; r-7. c-nosql: none.
    "11.2": (["id", "enrollment_count", "review_count"], [["c-nosql", 0, 0], ["c-perf", 2, 0],
                                                          ["c-python", 2, 1], ["c-sql", 4, 2]]),
    "11.3": (["id", "enrollment_count", "enrollments"], [["c-perf", 99, 2]]),
}


class ResultSet(list):
    """What a `%%sql` cell shows: its rows, and their column names in `keys`."""


def solutions_03_11(notebook):
    """{exercise id: solution source} of a notebook, in notebook order."""
    path = NOTEBOOKS_03_11[notebook]
    return dict((key, cell.source) for key, cell in
                editions.exercises(nbformat.read(path, as_version=4), path.name))


def _statements(sql):
    """The statements of a `%%sql` cell body, each complete."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements + ([current.strip()] if current.strip() else [])


def run_cell_03_11(conn, source, namespace):
    """Run a cell on `conn` as the notebook does; return the Answer check() would see."""
    try:
        if source.lstrip().startswith("%%sql"):
            cursor = None
            for statement in _statements(source.split("\n", 1)[1]):
                cursor = conn.execute(statement)
            result = ResultSet(tuple(row) for row in cursor.fetchall())
            result.keys = [d[0] for d in cursor.description or ()]
            return Answer(source, result)
        tree = ast.parse(source)
        last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<cell>", "exec"), namespace)
        return Answer(source, eval(compile(last, "<cell>", "eval"), namespace))
    except sqlite3.Error as exc:
        return Answer(source, None, exc)


def before_03_11(make_db, exercise_id, earlier=True):
    """(conn, namespace): the notebook's database when `exercise_id` starts."""
    notebook = exercise_id[:2]
    loaded_at, version, lesson = LESSONS_03_11[notebook]
    conn = make_db(to=loaded_at, name=notebook)
    migrate.migrate(conn, to=version)
    for statement in lesson:
        conn.execute(statement)
    namespace = {"db": conn, "workbook": workbook}
    if notebook == "10":  # its exercises use the QUERIES of the lesson
        exec(QUERIES_10, namespace)
    for key, source in solutions_03_11(notebook).items():
        if key == exercise_id or not earlier:
            break
        run_cell_03_11(conn, source, namespace)
    return conn, namespace


QUERIES_10 = next(cell.source for cell in nbformat.read(NOTEBOOKS_03_11["10"], as_version=4).cells
                  if cell.source.startswith("QUERIES = {"))
IDS_03_11 = [key for notebook in sorted(NOTEBOOKS_03_11) for key in solutions_03_11(notebook)]


def answer_03_11(make_db, exercise_id, source=None, earlier=True):
    """The Answer of a cell (the reference solution by default) run where the exercise is."""
    conn, namespace = before_03_11(make_db, exercise_id, earlier)
    source = source or solutions_03_11(exercise_id[:2])[exercise_id]
    return run_cell_03_11(conn, source, namespace)


def _result(answer):
    if answer.error is not None:
        return ["error", "message"], [[type(answer.error).__name__, str(answer.error)]]
    return exercises.table(answer.value)


def verdict_03_11(exercise_id, answer):
    """The line check() prints for an Answer, against the committed answers."""
    return verdict(exercise_id, answer, answers=exercises.expected_answers())


def test_every_exercise_of_notebooks_03_to_11_has_an_expectation_derived_here():
    assert sorted(IDS_03_11) == sorted(EXPECTED_03_11)
    assert {key[:2] for key in IDS_03_11} == set(NOTEBOOKS_03_11)


@pytest.mark.parametrize("exercise_id", IDS_03_11)
def test_each_reference_solution_gives_what_the_fixtures_say_and_passes_its_check(
        make_db, exercise_id):
    answer = answer_03_11(make_db, exercise_id)
    assert _result(answer) == EXPECTED_03_11[exercise_id]
    assert verdict_03_11(exercise_id, answer).startswith(f"{exercise_id}: right ✓")


@pytest.mark.parametrize("exercise_id", [key for key in IDS_03_11 if not key.endswith(".1")])
def test_an_answer_does_not_depend_on_whether_the_earlier_exercises_were_done(
        make_db, exercise_id):
    alone = answer_03_11(make_db, exercise_id, earlier=False)
    assert _result(alone) == EXPECTED_03_11[exercise_id]


@pytest.mark.parametrize("exercise_id", IDS_03_11)
def test_each_exercise_has_a_hint_and_an_error_exercise_is_tagged_raises_exception(exercise_id):
    assert exercises.expected_answers()[exercise_id]["hint"]
    path = NOTEBOOKS_03_11[exercise_id[:2]]
    cell = dict(editions.exercises(nbformat.read(path, as_version=4), path.name))[exercise_id]
    asks_for_error = EXPECTED_03_11[exercise_id][0] == ["error", "message"]
    assert ("raises-exception" in cell.metadata.get("tags", [])) == asks_for_error



def test_10_4_without_its_index_the_newest_reviews_of_a_course_need_a_sort(make_db):
    conn, _namespace = before_03_11(make_db, "10.4")
    plan = workbook.query_plan(conn, "SELECT id, rating FROM reviews WHERE course_id = ? "
                                     "ORDER BY created_at DESC", ("c-sql",))
    assert plan.splitlines()[-1] == "USE TEMP B-TREE FOR ORDER BY"

WRONG_03_11 = [
    ("03.1", "%%sql\nINSERT INTO users (id, name, email) "
             "VALUES ('u-ada-caps', 'Ada Caps', 'ADA@example.com');\n"
             "SELECT id, email FROM users WHERE email = 'ada@example.com'",
     "03.1: not yet: 1 row instead of 2."),
    ("03.2", "%%sql\nINSERT INTO users (id, name, email) VALUES ('u-x', NULL, 'x@example.com')",
     "the right kind of error, but not the one asked for (NOT NULL constraint failed: "
     "users.name)"),
    ("03.3", "%%sql\nINSERT INTO users (id, name, email) "
             "VALUES ('u-linus', 'Linus Torvalds', 'linus@example.com')",
     "your cell ran without an error"),
    ("04.2", "%%sql\nSELECT course_id, COUNT(*) AS sections FROM sections GROUP BY course_id",
     "04.2: not yet: 4 rows instead of 3."),
    ("05.1", "%%sql\nUPDATE lessons SET position = position + 1 "
             "WHERE section_id = 's-sql-1' AND position >= 2;\n"
             "INSERT INTO lessons (id, section_id, title, slug, position) "
             "VALUES ('l-sql-1b', 's-sql-1', 'Tables and keys', 'tables-and-keys', 2);\n"
             "SELECT id, position FROM lessons WHERE section_id = 's-sql-1' ORDER BY id DESC",
     "the right rows in the wrong order: look at your ORDER BY"),
    ("06.1", "%%sql\nSELECT t.name FROM course_tags AS ct JOIN tags AS t ON t.id = ct.tag_id\n"
             "WHERE ct.course_id = 'c-python' ORDER BY t.name",
     "missing column tag; extra column name (expected: tag)"),
    ("07.2", "%%sql\nCREATE TABLE enrollments_by_id (id INTEGER PRIMARY KEY, user_id TEXT, "
             "course_id TEXT, UNIQUE (user_id, course_id));\n"
             "SELECT * FROM pragma_index_list('enrollments_by_id')",
     "extra columns seq, partial (expected: name, unique, origin)"),
    ("08.2", "%%sql\nINSERT OR REPLACE INTO progress (user_id, lesson_id, completed_at)\n"
             "VALUES ('u-alan', 'l-sql-1', '2026-04-01 09:00:00'), "
             "('u-alan', 'l-sql-2', '2026-04-01 09:00:00');\n"
             "SELECT lesson_id, completed_at FROM progress WHERE user_id = 'u-alan'",
     "the right shape, but the values of column completed_at differ"),
    ("09.1", "%%sql\nINSERT INTO reviews (id, user_id, course_id, rating) "
             "VALUES ('r-half', 'u-alan', 'c-python', 5)",
     "your cell ran without an error"),
    ("10.3", "plan = workbook.query_plan(db, 'SELECT id FROM lessons WHERE section_id = ?', "
             "('s-sql-1',))\nprint(plan)",
     "the cell above shows no result"),
    ("10.4", "db.execute('CREATE INDEX idx_reviews_course_created ON reviews (created_at)')\n"
             "workbook.query_plan(db, 'SELECT id, rating FROM reviews WHERE course_id = ? "
             "ORDER BY created_at DESC', ('c-sql',))",
     "the right shape, but the values of column #1 differ"),
    ("11.3", "%%sql\nSELECT c.id, c.enrollment_count, (SELECT COUNT(*) FROM enrollments AS e "
             "WHERE e.course_id = c.id) AS enrollments\nFROM courses AS c\n"
             "WHERE c.enrollment_count <> (SELECT COUNT(*) FROM enrollments AS e "
             "WHERE e.course_id = c.id)",
     "11.3: not yet: 0 rows instead of 1."),
]


@pytest.mark.parametrize(("exercise_id", "source", "message"), WRONG_03_11,
                         ids=[wrong[0] for wrong in WRONG_03_11])
def test_a_wrong_answer_is_rejected_with_a_message_naming_what_differs(
        make_db, exercise_id, source, message):
    said = verdict_03_11(exercise_id, answer_03_11(make_db, exercise_id, source))
    assert said.startswith(f"{exercise_id}: not yet: ") and message in said, said


def test_an_empty_answer_cell_of_03_to_11_is_not_answered_yet():
    for exercise_id, source in (("03.1", "%%sql\n-- your query here"),
                                ("10.1", "# your code here")):
        assert "not answered yet" in verdict_03_11(exercise_id, Answer(source, None))


# -- 12 Full Text Search ... 22 Admin Dashboard ---------------------------------------------
# Same method as for 03-11: a test rebuilds the database a notebook has when its exercises
# start (make_db at the notebook's version, plus what its lesson changes: LESSONS_12_22),
# runs the cells of the notebook's earlier exercises, then the reference solution, all read
# from the notebook and run the way the notebook runs them. Expectations are derived by hand
# from data/*.csv, in the comments.

NOTEBOOKS_12_22 = {path.name[:2]: path for path in editions.series(editions.NOTEBOOKS)
                   if "12" <= path.name[:2] <= "22"}
KAY_14 = "INSERT INTO users (id, name, email) VALUES " \
         "('70df4eee-0e6a-52e5-b707-c3774618eb92', 'Kay Nygaard', 'kay@example.com')"


def _cells_12_22(notebook):
    return nbformat.read(NOTEBOOKS_12_22[notebook], as_version=4).cells


def _generated_16(conn):
    """Notebook 16's 1,000 users, 2,000 courses and 100,000 reviews (its own %%sql cell)."""
    cell = next(c for c in _cells_12_22("16") if c.source.startswith("%%sql\nWITH RECURSIVE"))
    run_cell_12_22(conn, cell.source, {})


def _rolled_back_and_forth_17(conn):
    migrate.rollback(conn, to="007")
    migrate.migrate(conn, to="010")
    migrate.rollback(conn, to="006", force=True)  # the 7 reviews are gone
    migrate.migrate(conn, to="010")


def _alan_again_20(conn):
    quizzes.submit_attempt(conn, "u-alan", "qz-select",
                           {"qn-select-1": "ch-select-1a", "qn-select-2": "ch-select-2b",
                            "qn-select-3": "ch-select-3b"},
                           attempt_id="qa-9", submitted_at="2026-03-12 12:00:00")


# notebook: (version, what its lesson changes before the exercises)
LESSONS_12_22 = {
    "12": ("010", []),  # c-window is inserted, renamed and deleted again
    "13": ("010", []),
    "14": ("010", [KAY_14]),
    "15": ("010", []),  # c-sql is renamed, then renamed back
    "16": ("010", [_generated_16]),
    "17": ("010", [_rolled_back_and_forth_17]),
    "18": ("011", [
        "INSERT INTO course_prerequisites (course_id, prerequisite_id) "
        "VALUES ('c-perf', 'c-design'), ('c-design', 'c-sql')",
        "INSERT INTO enrollments (user_id, course_id, enrolled_at) "
        "VALUES ('u-donald', 'c-sql', '2026-04-10 09:00:00')",
        "UPDATE enrollments SET completed_at = '2026-04-20 17:00:00' "
        "WHERE user_id = 'u-donald' AND course_id = 'c-sql'",
        "INSERT INTO enrollments (user_id, course_id, enrolled_at) "
        "VALUES ('u-donald', 'c-design', '2026-04-21 09:00:00')"]),
    "19": ("012", []),
    "20": ("013", [_alan_again_20,  # the refused qa-10 leaves nothing
                   "INSERT INTO questions (id, quiz_id, body, position) VALUES "
                   "('qn-joins-3', 'qz-joins', 'Which join keeps the unmatched rows?', 3)"]),
    "21": ("014", [
        "INSERT INTO bookmarks (user_id, lesson_id) VALUES ('u-edgar', 'l-design-2')",
        "UPDATE bookmarks SET note = 'Compare with course_tags' WHERE user_id = 'u-edgar'",
        "DELETE FROM lessons WHERE id = 'l-sql-4'",  # Grace's bookmark goes with it
        "DELETE FROM users WHERE id = 'u-donald'"]),  # and Donald's with him
    "22": ("014", []),  # the class data goes into another database
}

# exercise: (columns, rows) of the reference solution's result, or of the error it asks for
EXPECTED_12_22 = {
    # The only words starting with "sql": SQL (c-sql's title) and SQLite (c-perf's title).
    "12.1": (["id", "title"], [["c-perf", "SQLite Performance"], ["c-sql", "SQL Fundamentals"]]),
    # Titles with Database(s) or Data; c-sql has "databases" and "dataset" in its description.
    "12.2": (["id", "title"], [["c-design", "Relational Database Design"],
                               ["c-nosql", "Document Databases"],
                               ["c-python", "Python for Data Analysis"]]),
    # "query" once each: c-sql in 2 + 16 words, c-perf in 2 + 17; bm25 favours the shorter.
    "12.3": (["id"], [["c-sql"], ["c-perf"]]),
    "12.4": (["error", "message"], [["OperationalError", 'fts5: syntax error near "+"']]),
    # Donald: only c-perf (3 lessons), no progress; 100.0 * 0 / 3 = 0.
    "13.1": (["title", "lesson_count", "completed_lessons", "percent_complete"],
             [["SQLite Performance", 3, 0, 0]]),
    # enrollments: c-sql 4, c-design 3, c-perf 3, c-python 2; the tie at 3 goes to c-design.
    "13.2": (["id", "enrollment_count"], [["c-sql", 4], ["c-design", 3]]),
    "13.3": (None, [["b"]]),  # predicted first: (b) a sort of its own
    # FTS5 can only deliver rank order (flag 32); c.id makes SQLite sort everything itself.
    "13.4": (None, [["SCAN courses_fts VIRTUAL TABLE INDEX 0:M2\n"
                     "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)\n"
                     "USE TEMP B-TREE FOR ORDER BY"]]),
    # The foreign keys of 001-007 (009 and 010 add none), each ON DELETE CASCADE.
    "14.1": (["table", "from", "references", "on_delete"],
             [["course_tags", "course_id", "courses", "CASCADE"],
              ["course_tags", "tag_id", "tags", "CASCADE"],
              ["enrollments", "course_id", "courses", "CASCADE"],
              ["enrollments", "user_id", "users", "CASCADE"],
              ["lessons", "section_id", "sections", "CASCADE"],
              ["progress", "lesson_id", "lessons", "CASCADE"],
              ["progress", "user_id", "users", "CASCADE"],
              ["reviews", "course_id", "courses", "CASCADE"],
              ["reviews", "user_id", "users", "CASCADE"],
              ["sections", "course_id", "courses", "CASCADE"]]),
    "15.1": (None, [["c"]]),  # predicted first: (c) the commit waits for the reader
    # Predict the plan: (a), SEARCH idx_courses_published then a sort (test_teach_claims.py).
    "16.1": (None, [["a"]]),
    # c-perf 5; c-sql (5 + 4 + 4) / 3; c-design (3 + 5) / 2 and c-python 4, by id. Review i
    # of the generated ones goes to course (i // 100 + 20 j) % 2000 with j = i % 100 and
    # rating 1 + j % 5: j and j + 50 land 1,000 users apart, so each course gets one of each
    # such pair, 50 reviews with 10 of each rating: every generated course averages 3.
    "16.2": (["id", "avg_rating"], [["c-perf", 5], ["c-sql", 4.333333], ["c-design", 4],
                                    ["c-python", 4], ["gc-0000", 3]]),
    "17.1": (["error", "message"],
             [["CourselabError", "no search index in this database; migrate to 010 first"]]),
    "17.2": (None, [["c-sql"]]),  # "sql" is a word in c-sql only (SQLite is another word)
    # A comment is not an edit (the checksum covers the statements); a new index is.
    "17.3": (None, [["applied"], ["edited"]]),
    # The runner's own table survives, with the index of its primary key.
    "17.4": (["type", "name"], [["index", "sqlite_autoindex_schema_migrations_1"],
                                ["table", "schema_migrations"]]),
    # c-sql is required by c-nosql and c-design; c-design by c-perf (and c-nosql).
    "18.2": (["id", "title"], [["c-design", "Relational Database Design"],
                               ["c-nosql", "Document Databases"],
                               ["c-perf", "SQLite Performance"]]),
    # c-perf needs c-design completed: nobody has. c-design needs c-sql completed: Ada and
    # Donald have; Grace has not, Edgar is not even enrolled in c-sql.
    "18.3": (["user_id", "course_id"], [["u-ada", "c-perf"], ["u-donald", "c-perf"],
                                        ["u-edgar", "c-design"], ["u-grace", "c-design"],
                                        ["u-grace", "c-perf"]]),
    # Both keys cascade: the three rows naming c-design go, c-nosql -> c-sql stays.
    "18.4": (None, [["c"]]),  # predicted first: (c) only c-nosql -> c-sql
    "18.5": (["course_id", "prerequisite_id"], [["c-nosql", "c-sql"]]),
    "18.6": (None, [["ecafgdb"]]),  # the Parsons order: WITH, anchor, UNION, step, ), SELECT
    # quizzes.csv: qz-joins on l-sql-4, qz-keys on l-design-2, qz-select on l-sql-2; questions
    # 2, 2, 3 (questions.csv) with 4, 4, 9 choices (choices.csv).
    "19.1": (["quiz_id", "lesson", "questions", "choices"],
             [["qz-joins", "Outer joins", 2, 4], ["qz-keys", "Many-to-many", 2, 4],
              ["qz-select", "Your first SELECT", 3, 9]]),
    "20.2": (["error", "message"],
             [["IntegrityError", "attempt refused: the user is not enrolled in the course of "
                                 "this quiz"]]),
    # qz-joins (3 questions now, passes at 50%): Ada 2/3 passes, Grace 0/3 fails -> 50.
    # qz-select (70%): Ada 2/3, Alan 1/3, Grace 2/3 all fail -> 0.
    "20.3": (["quiz_id", "first_try_pass_rate"], [["qz-joins", 50], ["qz-select", 0]]),
    # From quiz_answers.csv and qa-9 (all correct): qn-joins-2 right in qa-5 and qa-8 only.
    "20.4": (["question_id", "answers", "correct"],
             [["qn-joins-2", 4, 2], ["qn-joins-1", 4, 3], ["qn-select-3", 4, 3],
              ["qn-select-1", 5, 4], ["qn-select-2", 5, 4]]),
    # Left after the lesson: Ada's l-design-3 and l-perf-1, Edgar's l-design-2.
    "21.2": (["course_id", "bookmarks"], [["c-design", 2], ["c-perf", 1], ["c-nosql", 0],
                                          ["c-python", 0], ["c-sql", 0]]),
    "21.3": (["lesson_id", "note", "created_at"],
             [["l-design-3", "Re-read, then do the exercises", "2026-03-26 09:00:00"],
              ["l-perf-1", None, "2026-04-02 10:00:00"]]),
    "21.4": (["error", "message"],
             [["IntegrityError", "CHECK constraint failed: length(note) BETWEEN 1 AND 500"]]),
    # Ada completed l-perf-1 in the cell before: her bookmark on it goes.
    "21.5": (["user_id", "lesson_id"], [["u-ada", "l-design-3"], ["u-edgar", "l-design-2"]]),
    # Plain averages: 5, 13 / 3, and 4.0 twice, tie broken by id.
    "22.1": (["id", "bayesian_rating"], [["c-perf", 5], ["c-sql", 4.33], ["c-design", 4],
                                         ["c-python", 4]]),
    # Barbara (c-sql, c-python) and Donald (c-perf) have no progress at all; the others
    # have some in a course they are enrolled in.
    "22.2": (["id", "name"], [["u-barbara", "Barbara Liskov"], ["u-donald", "Donald Knuth"]]),
    # Grace did l-perf-1..3, all of c-perf, with no completed_at; Ada's c-sql has one.
    "22.3": (["user_id", "course_id"], [["u-grace", "c-perf"]]),
}


def exercise_cells_12_22(notebook):
    """{exercise id: (cells given before the solution, solution source)}, in notebook order."""
    path = NOTEBOOKS_12_22[notebook]
    ids = {cell.source: key for key, cell in
           editions.exercises(nbformat.read(path, as_version=4), path.name)}
    found, given, started = {}, [], False
    for cell in _cells_12_22(notebook):
        started = started or (cell.cell_type == "markdown" and "## Exercises" in cell.source)
        if "solution" in cell.metadata.get("tags", []):  # a prediction may come before Exercises
            if not probes.named_in(cell.source):  # designs: checked by tests/test_probes.py
                found[ids[cell.source]] = (given, cell.source)
            given = []
        elif started and cell.cell_type == "code" \
                and not editions.CHECK_OR_HINT.search(cell.source):
            given.append(cell.source)
    return found


def _assignments_12_22(notebook):
    """The lesson's top-level `NAME = ...` statements in capitals (SEARCH, COURSE_SEARCH...)."""
    code = []
    for cell in _cells_12_22(notebook):
        if cell.cell_type != "code" or cell.source.startswith("%"):
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.Assign) and all(
                    isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
                code.append(ast.get_source_segment(cell.source, node))
    return "\n".join(code)


def run_cell_12_22(conn, source, namespace):
    """Run a cell on `conn` as the notebook does; return the Answer check() would see."""
    try:
        if source.startswith("%sql "):
            conn.execute(source[len("%sql "):])
            return Answer(source, None)
        if source.startswith("%%sql"):
            cursor = None
            for statement in _statements(source.split("\n", 1)[1]):
                cursor = conn.execute(statement)
            result = type("ResultSet", (list,), {})(tuple(row) for row in cursor.fetchall())
            result.keys = [d[0] for d in cursor.description or ()]
            return Answer(source, result)
        tree = ast.parse(source)
        last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) \
            if last else None
        return Answer(source, value)
    except (sqlite3.Error, CourselabError) as exc:
        return Answer(source, None, exc)


IDS_12_22 = [key for notebook in sorted(NOTEBOOKS_12_22) for key in exercise_cells_12_22(notebook)]


def answer_12_22(make_db, exercise_id, source=None, earlier=True):
    """The Answer of a cell (the reference solution by default) run where the exercise is."""
    notebook = exercise_id[:2]
    version, lesson = LESSONS_12_22[notebook]
    conn = make_db(to=version, name=notebook)
    for step in lesson:
        if callable(step):
            step(conn)
        else:
            conn.execute(step)
    namespace = {"db": conn, "workbook": workbook, "migrate": migrate, "queries": queries,
                 "dashboard": dashboard, "pd": pd, "Path": Path, "shutil": shutil,
                 "tempfile": tempfile}
    exec(_assignments_12_22(notebook), namespace)
    for key, (given, solution) in exercise_cells_12_22(notebook).items():
        for cell in given:  # cells the student runs too, right before the answer cell
            run_cell_12_22(conn, cell, namespace)
        if key == exercise_id:
            return run_cell_12_22(conn, source or solution, namespace)
        if earlier:
            run_cell_12_22(conn, solution, namespace)
    raise KeyError(exercise_id)


def verdict_12_22(exercise_id, answer):
    """The line check() prints for an Answer, against the committed answers."""
    return verdict(exercise_id, answer, answers=exercises.expected_answers())


def test_every_exercise_of_notebooks_12_to_22_has_an_expectation_derived_here():
    assert sorted(IDS_12_22) == sorted(EXPECTED_12_22)
    assert {key[:2] for key in IDS_12_22} == set(NOTEBOOKS_12_22)
    assert all(1 <= sum(k[:2] == n for k in IDS_12_22) <= 5 for n in NOTEBOOKS_12_22)


@pytest.mark.parametrize("exercise_id", IDS_12_22)
def test_each_reference_solution_of_12_to_22_gives_what_the_fixtures_say(make_db, exercise_id):
    answer = answer_12_22(make_db, exercise_id)
    assert _result(answer) == EXPECTED_12_22[exercise_id]
    assert verdict_12_22(exercise_id, answer).startswith(f"{exercise_id}: right ✓")


@pytest.mark.parametrize("exercise_id", [key for key in IDS_12_22 if not key.endswith(".1")])
def test_an_answer_of_12_to_22_does_not_depend_on_the_earlier_exercises(make_db, exercise_id):
    alone = answer_12_22(make_db, exercise_id, earlier=False)
    assert _result(alone) == EXPECTED_12_22[exercise_id]


@pytest.mark.parametrize("exercise_id", IDS_12_22)
def test_each_exercise_of_12_to_22_has_a_hint_and_error_exercises_raise(exercise_id):
    assert exercises.expected_answers()[exercise_id]["hint"]
    path = NOTEBOOKS_12_22[exercise_id[:2]]
    cell = dict(editions.exercises(nbformat.read(path, as_version=4), path.name))[exercise_id]
    asks_for_error = EXPECTED_12_22[exercise_id][0] == ["error", "message"]
    assert ("raises-exception" in cell.metadata.get("tags", [])) == asks_for_error


FTS_12 = "%%sql\nSELECT c.id{} FROM courses_fts JOIN courses c ON c.rowid = courses_fts.rowid\n" \
         "WHERE courses_fts MATCH '{}' ORDER BY {}"
WRONG_12_22 = [
    ("12.1", FTS_12.format(", c.title", "sql", "c.id"), "12.1: not yet: 1 row instead of 2."),
    ("12.3", FTS_12.format("", "query", "c.id"),
     "the right rows in the wrong order: look at your ORDER BY"),
    ("13.4", 'workbook.query_plan(db, COURSE_SEARCH, ("database",))',
     "the right shape, but the values of column #1 differ"),
    ("17.2", 'from courselab import search_courses\n\nmigrate.migrate(db, to="010")\n'
             'search_courses(db, "sql")',
     "5 columns instead of 1"),
    ("18.3", "%%sql\nSELECT e.user_id, e.course_id FROM enrollments e\n"
             "WHERE EXISTS (SELECT 1 FROM course_prerequisites cp\n"
             "              WHERE cp.course_id = e.course_id\n"
             "  AND NOT EXISTS (SELECT 1 FROM enrollments done WHERE done.user_id = e.user_id\n"
             "                  AND done.course_id = cp.prerequisite_id))",
     "18.3: not yet: 1 row instead of 5."),  # "enrolled" is not "completed": only Edgar
    ("20.2", "%%sql\nCREATE TRIGGER t BEFORE INSERT ON quiz_attempts\n"
             "WHEN NEW.user_id = 'u-edgar' BEGIN SELECT RAISE(ABORT, 'not enrolled'); END;\n"
             "INSERT INTO quiz_attempts (id, user_id, quiz_id, attempt_no) "
             "VALUES ('qa-edgar', 'u-edgar', 'qz-select', 1);",
     "the right kind of error, but not the one asked for (not enrolled)"),
    ("21.2", "%%sql\nSELECT c.id AS course_id, COUNT(*) AS bookmarks FROM courses c\n"
             "LEFT JOIN sections s ON s.course_id = c.id LEFT JOIN lessons l "
             "ON l.section_id = s.id\nLEFT JOIN bookmarks b ON b.lesson_id = l.id GROUP BY c.id",
     "the right shape, but the values of column bookmarks differ"),  # counts lessons too
    ("21.3", "%%sql\nDELETE FROM bookmarks WHERE user_id = 'u-ada' AND lesson_id = 'l-design-3';\n"
             "INSERT INTO bookmarks (user_id, lesson_id, note) "
             "VALUES ('u-ada', 'l-design-3', 'Re-read, then do the exercises');\n"
             "SELECT lesson_id, note, created_at FROM bookmarks WHERE user_id = 'u-ada'",
     "the right shape, but the values of column created_at differ"),  # now, not 03-26
    ("22.1", "%%sql\nSELECT id, ROUND(rating_sum / review_count, 2) AS bayesian_rating\n"
             "FROM courses WHERE review_count > 0 ORDER BY rating_sum / review_count DESC, id",
     "the values of column bayesian_rating differ"),  # integer division: 13 / 3 = 4
]


@pytest.mark.parametrize(("exercise_id", "source", "message"), WRONG_12_22,
                         ids=[wrong[0] for wrong in WRONG_12_22])
def test_a_wrong_answer_of_12_to_22_is_rejected_naming_what_differs(
        make_db, exercise_id, source, message):
    said = verdict_12_22(exercise_id, answer_12_22(make_db, exercise_id, source))
    assert said.startswith(f"{exercise_id}: not yet: ") and message in said, said
