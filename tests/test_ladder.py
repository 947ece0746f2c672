"""The self-learner's ladder (hint, second hint, solution where allowed) and letter questions."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from courselab import editions, exercises, ladder
from courselab.exercises import Answer, record, verdict

QUERY = "%%sql\n-- hint: count per course\nSELECT course_id, COUNT(*) AS n FROM enrollments " \
        "GROUP BY course_id ORDER BY n DESC"


@pytest.fixture
def answers(db, tmp_path):
    log = tmp_path / "answers.jsonl"
    record("T.1", Answer(QUERY, db.execute(QUERY.split("\n", 2)[2])), log)
    record("T.2", Answer("# choice: abcd\n# hint: which key cascades?\n'c'", "c"), log)
    record("T.3", Answer("# order: abcde\n# hint: the anchor first\n'daceb'", "daceb"), log)
    record("T.4", Answer("%%sql\n-- hint: join\n-- hint 2: through sections\nSELECT 1", [(1,)]),
           log)
    return {e.pop("id"): e for e in map(json.loads, log.read_text().splitlines())}


def test_the_second_hint_is_the_solutions_sql_keywords_in_order_without_its_details(answers):
    line = ladder.hint_line("T.1", answers["T.1"], 2)
    assert line == "T.1 second hint: the reference solution uses SELECT, COUNT, FROM, " \
                   "GROUP BY, ORDER BY"
    assert "enrollments" not in line and "course_id" not in line


def test_an_explicit_second_hint_wins_over_the_keywords(answers):
    assert ladder.hint_line("T.4", answers["T.4"], 2) == "T.4 second hint: through sections"
    assert ladder.hint_line("T.4", answers["T.4"], 1) == "T.4 hint: join"


def test_the_solution_step_is_refused_unless_the_edition_carries_solutions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "not part of this edition" in ladder.hint_line("T.1", {}, 3)
    ladder.write_solutions({"T.1": "SELECT 1"}, tmp_path, allowed=True)
    assert ladder.hint_line("T.1", {}, 3) == "T.1 solution:\nSELECT 1"
    ladder.write_solutions({"T.1": "SELECT 1"}, tmp_path, allowed=False)
    assert not (tmp_path / ladder.SOLUTIONS_FILE).exists()


def test_a_letter_question_is_answered_in_the_check_even_under_a_blank_answer_cell(answers):
    blank = "# your code here"
    assert verdict("T.2", Answer(blank, "c"), answers=answers) == "T.2: right ✓ (c it is)"
    wrong = verdict("T.2", Answer(blank, "b"), answers=answers)
    assert wrong.startswith("T.2: not yet: not b:") and "c" not in wrong.split("not b")[1][:3]
    assert "one letter of a, b, c, d" in verdict("T.2", Answer(blank, "e"), answers=answers)
    assert "not answered yet" in verdict("T.2", Answer(blank, None), answers=answers)


def test_a_parsons_question_takes_every_letter_once_in_the_right_order(answers):
    assert verdict("T.3", Answer(None, "DACEB"), answers=answers).startswith("T.3: right ✓")
    assert "not in that order" in verdict("T.3", Answer(None, "abcde"), answers=answers)
    assert "each once" in verdict("T.3", Answer(None, "dace"), answers=answers)


def sample():
    nb = new_notebook()
    demo = new_code_cell("1 + 1", metadata={"tags": ["reveal"]})
    demo.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]
    nb.cells = [new_markdown_cell("# Sample"),
                new_code_cell("# choice: ab\n# hint: add\n'b'", metadata={"tags": ["solution"]}),
                new_code_cell('check("91.1")'), demo]
    return nb


def test_the_student_edition_hides_a_predicted_output_and_carries_the_markdown_files(tmp_path):
    source, target = tmp_path / "notebooks", tmp_path / "student"
    source.mkdir()
    nbformat.write(sample(), source / "91-Sample.ipynb")
    (source / "Glossary.md").write_text("# Glossary\n")
    editions.write_student(source, target)
    student = nbformat.read(target / "91-Sample.ipynb", as_version=4)
    assert student.cells[3].outputs == [], "the demo's output waits for the prediction"
    assert (target / "Glossary.md").read_text() == "# Glossary\n"
    assert not (target / ladder.SOLUTIONS_FILE).exists(), "solutions are off by default"
    editions.write_student(source, target, solutions=True)
    assert json.loads((target / ladder.SOLUTIONS_FILE).read_text()) == {"91.1": "'b'"}


def test_hint_prints_the_rung_asked_for(answers, tmp_path, monkeypatch, capsys):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    monkeypatch.setenv(exercises.FILE_ENV, str(path))
    exercises.hint("T.4", 2)
    assert capsys.readouterr().out == "T.4 second hint: through sections\n"
