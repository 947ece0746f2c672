"""Checked exercises: right answers pass, wrong ones get the right one-line message.

A small sample exercise set is recorded here from reference solutions run on the fixtures
(the notebooks' own exercises are checked by the last tests, from the committed files).
"""

import json
import re
import sqlite3
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

from courselab import attempts, editions, exercises
from courselab.errors import ExerciseError
from courselab.exercises import Answer, check, fingerprint, record, table, verdict

PUBLISHED = "SELECT id, title FROM courses WHERE is_published = 1 ORDER BY title"
PER_COURSE = "SELECT course_id, COUNT(*) AS enrollments FROM enrollments GROUP BY course_id"
BAD_RATING = "INSERT INTO reviews (id, user_id, course_id, rating) " \
             "VALUES ('r-new', 'u-ada', 'c-perf', 6)"


def _error(db, sql):
    with pytest.raises(sqlite3.Error) as caught:
        db.execute(sql)
    return caught.value


@pytest.fixture
def answers(db, tmp_path):
    """Expected answers of three sample exercises, recorded from their reference solutions."""
    log = tmp_path / "answers.jsonl"
    record("T.1", Answer(f"%%sql\n-- ordered\n-- hint: sort by title\n{PUBLISHED}",
                         db.execute(PUBLISHED)), log)
    record("T.2", Answer(f"%%sql\n-- hint: GROUP BY\n{PER_COURSE}", db.execute(PER_COURSE)), log)
    record("T.3", Answer(f"%sql {BAD_RATING}", None, _error(db, BAD_RATING)), log)
    return {entry.pop("id"): entry for entry in map(json.loads, log.read_text().splitlines())}


def ask(db, answers, exercise_id, sql, **options):
    """The verdict on a student's query, run on the fixtures database."""
    try:
        answer = Answer(f"%%sql\n{sql}", db.execute(sql))
    except sqlite3.Error as exc:
        answer = Answer(f"%%sql\n{sql}", None, exc)
    return verdict(exercise_id, answer, answers=answers, **options)


def test_each_reference_solution_passes_its_own_check(db, answers):
    assert ask(db, answers, "T.1", PUBLISHED) == "T.1: right ✓ (4 rows)"
    assert ask(db, answers, "T.2", PER_COURSE) == "T.2: right ✓ (4 rows)"
    assert ask(db, answers, "T.3", BAD_RATING) == "T.3: right ✓ (refused with IntegrityError)"


def test_row_order_is_free_unless_the_exercise_says_ordered(db, answers):
    assert "right" in ask(db, answers, "T.2", PER_COURSE + " ORDER BY COUNT(*) DESC, course_id")
    reordered = PUBLISHED.replace("ORDER BY title", "ORDER BY id DESC")
    assert ask(db, answers, "T.1", reordered) == \
        "T.1: not yet: the right rows in the wrong order: look at your ORDER BY. " \
        "Stuck? hint(\"T.1\")"


def test_columns_may_come_in_any_order_and_case(db, answers):
    sql = "SELECT COUNT(*) AS Enrollments, course_id FROM enrollments GROUP BY course_id"
    assert ask(db, answers, "T.2", sql) == "T.2: right ✓ (4 rows)"


def test_a_missing_column_is_named(db, answers):
    sql = "SELECT id FROM courses WHERE is_published = 1 ORDER BY title"
    assert "missing column title (expected: id, title)" in ask(db, answers, "T.1", sql)


def test_an_extra_column_is_named(db, answers):
    sql = "SELECT id, title, lesson_count FROM courses WHERE is_published = 1 ORDER BY title"
    assert "extra column lesson_count (expected: id, title)" in ask(db, answers, "T.1", sql)


def test_a_wrong_row_count_says_how_many_rows_instead_of_how_many(db, answers):
    message = ask(db, answers, "T.1", "SELECT id, title FROM courses ORDER BY title")
    assert message.startswith("T.1: not yet: 5 rows instead of 4.")


def test_wrong_values_name_the_column_that_differs(db, answers):
    sql = "SELECT course_id, COUNT(*) + 1 AS enrollments FROM enrollments GROUP BY course_id"
    assert "the values of column enrollments differ" in ask(db, answers, "T.2", sql)


def test_an_empty_answer_cell_is_not_answered_yet(answers):
    for answer in (None, Answer("%%sql\n-- your query here", [])):
        assert verdict("T.1", answer, answers=answers).startswith("T.1: not answered yet")


def test_an_answer_cell_that_raised_shows_its_error(db, answers):
    message = ask(db, answers, "T.1", "SELECT id, titel FROM courses")
    assert "your cell raised OperationalError: no such column: titel" in message


def test_a_statement_that_returns_no_table_is_told_to_end_with_a_select(answers):
    no_rows = type("ResultSet", (list,), {})()  # what %%sql shows after an INSERT
    assert "returns no table" in verdict("T.1", Answer("%%sql\nDELETE FROM x", no_rows),
                                         answers=answers)


def test_an_exercise_that_asks_for_an_error_accepts_only_that_error(db, answers):
    assert "ran without an error" in ask(db, answers, "T.3", "SELECT 1")
    duplicate = "INSERT INTO reviews (id, user_id, course_id, rating) " \
                "SELECT 'r-dup', user_id, course_id, 5 FROM reviews LIMIT 1"
    assert "the right kind of error, but not the one asked for (UNIQUE constraint failed" in \
        ask(db, answers, "T.3", duplicate)
    assert "you got OperationalError" in ask(db, answers, "T.3", "INSERT INTO nowhere VALUES (1)")


def test_hint_is_given_only_on_request(db, answers, capsys):
    assert "Hint" not in ask(db, answers, "T.1", PUBLISHED)
    assert ask(db, answers, "T.1", PUBLISHED, with_hint=True).endswith("Hint: sort by title")
    assert verdict("T.3", None, with_hint=True, answers=answers).endswith("none for this one")


def test_an_unknown_exercise_says_so(answers):
    assert verdict("T.9", None, answers=answers).startswith("T.9: no such exercise")


def test_the_stored_answer_holds_no_value_of_the_result(db, answers):
    stored = json.dumps(answers)
    for course_id, title in db.execute(PUBLISHED):
        assert course_id not in stored and title not in stored
    assert answers["T.1"]["ordered"] and not answers["T.2"]["ordered"]
    assert answers["T.2"]["hint"] == "GROUP BY"


def test_recording_refuses_a_solution_that_shows_nothing(tmp_path):
    with pytest.raises(ExerciseError, match="shows no result"):
        record("T.4", Answer("x = 1", None), tmp_path / "a.jsonl")
    with pytest.raises(ExerciseError, match="no solution cell ran"):
        record("T.4", Answer("%%sql\n-- your query here", []), tmp_path / "a.jsonl")


def test_results_of_every_kind_become_the_same_table(db):
    from sql.run import ResultSet

    sql = "SELECT id, lesson_count FROM courses ORDER BY id"
    expected = table(db.execute(sql))
    proxy = SimpleNamespace(returns_rows=True, keys=lambda: ["id", "lesson_count"],
                            fetchall=lambda: [tuple(r) for r in db.execute(sql)])
    result_set = ResultSet(proxy, SimpleNamespace(autolimit=0, style="DEFAULT"))
    frame = pd.read_sql_query(sql, db)
    assert table(result_set) == expected
    assert table(frame) == expected
    assert table(frame.set_index("id")["lesson_count"]) == expected
    assert table(db.execute(sql).fetchall()) == expected  # sqlite3.Row keeps the names
    assert table([tuple(r) for r in db.execute(sql)]) == (None, expected[1])
    assert table([dict(r) for r in db.execute(sql)]) == expected


def test_numbers_are_compared_rounded_and_whole_floats_equal_integers():
    assert table(2 / 3) == table(0.6666666667) == (None, [[0.666667]])
    assert table(4.0) == table(4) == (None, [[4]])
    assert table(float("nan")) == table(None) == (None, [[None]])
    assert table(["a", "b"]) == (None, [["a"], ["b"]])


def test_check_prints_one_line_for_the_last_answer(db, answers, tmp_path, monkeypatch, capsys):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    monkeypatch.setenv(exercises.FILE_ENV, str(path))
    monkeypatch.setitem(attempts._state, "last", Answer(PUBLISHED, db.execute(PUBLISHED)))
    check("T.1")
    check("T.2", [(1,)], hint=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["T.1: right ✓ (4 rows)",
                     "T.2: not yet: 1 column instead of 2. Stuck? hint(\"T.2\") Hint: GROUP BY"]


def test_an_unchanged_fingerprint_is_stable():
    first = fingerprint("X.1", ["a"], [[1], [2]], ordered=False)
    assert first == fingerprint("X.1", ["a"], [[2], [1]], ordered=False)
    assert first["result_sha256"] != fingerprint("X.2", ["a"], [[1], [2]], False)["result_sha256"]


# -- The committed notebooks' exercises -----------------------------------------------------

def shown(cell):
    """The text a cell's stored outputs show (streams and text/plain)."""
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                   for o in cell.outputs)


NOTEBOOKS = editions.series(editions.NOTEBOOKS)


def test_the_committed_answers_file_is_up_to_date_with_the_solutions():
    problems = editions.answers_problems(exercises.expected_answers(exercises.ANSWERS_FILE))
    assert problems == [], "run `make answers`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_reference_solution_passes_its_check_in_the_stored_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for exercise_id, solution in editions.exercises(nb, path.name):
        cells = nb.cells[nb.cells.index(solution) + 1:]
        check_cell = next(c for c in cells if c.cell_type == "code")
        said = shown(check_cell)
        assert re.match(rf"{re.escape(exercise_id)}: right ✓", said), said
