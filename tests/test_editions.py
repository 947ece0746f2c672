"""Instructor and student editions, recorded answers, a student's reset, and slide metadata.

A small sample notebook with five exercises (a query, an ordered query, an error asked for,
a pandas answer, a state checked with an explicit value) is built here and run through the
whole pipeline in real kernels; the committed student edition runs with its answers empty.
"""

import io
import json
import os
import re
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from courselab import editions, exercises, slides
from courselab.cli import main
from courselab.errors import ExerciseError
from tests.conftest import REPO

SOLUTIONS = {
    "90.1": "%%sql\n-- ordered\n-- hint: filter on is_published\n"
            "SELECT id, title FROM courses WHERE is_published = 1 ORDER BY id",
    "90.2": "%%sql\n-- hint: GROUP BY course_id\n"
            "SELECT course_id, COUNT(*) AS enrollments FROM enrollments GROUP BY course_id",
    "90.3": "%sql INSERT INTO reviews (id, user_id, course_id, rating) "
            "VALUES ('r-new', 'u-ada', 'c-perf', 6)",
    "90.4": "frame = pd.read_sql_query('SELECT course_id, rating FROM reviews', db)\n"
            "frame.groupby('course_id')['rating'].mean()",
    "90.5": "%sql CREATE INDEX idx_reviews_rating ON reviews (rating)",
}
CHECKS = {"90.5": 'check("90.5", db.execute("SELECT name FROM pragma_index_list(\'reviews\') '
                  'WHERE origin = \'c\' ORDER BY name").fetchall())'}


def sample_notebook(solutions=SOLUTIONS):
    """An instructor notebook: title, setup, an instructor note, five exercises."""
    cells = [new_markdown_cell("[Contents](00-Start-Here.ipynb)", metadata={"tags": ["nav"]}),
             new_markdown_cell("# Sample"),
             new_code_cell('import pandas as pd\nfrom courselab import workbook\n'
                           'from courselab.exercises import check\n\n'
                           'db = workbook.start("90", to="010")'),
             new_markdown_cell("Ask the class first.", metadata={"tags": ["instructor"]}),
             new_markdown_cell("## Exercises")]
    for exercise_id, source in solutions.items():
        tags = ["solution"] + (["raises-exception"] if exercise_id == "90.3" else [])
        cells += [new_markdown_cell(f"**{exercise_id}** ..."),
                  new_code_cell(source, metadata={"tags": tags}),
                  new_code_cell(CHECKS.get(exercise_id, f'check("{exercise_id}")'))]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}})
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


def run(*args, cwd=REPO, stdin=None, env=None):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, input=stdin, env={**os.environ, **(env or {})}, timeout=300)


def execute(nb, folder, answers_file, store_history=True):
    """Run a notebook in a kernel, checks reading `answers_file`; return it with outputs."""
    from courselab.kernel_start import SteadyClient

    class Client(SteadyClient):
        async def async_execute_cell(self, cell, cell_index, execution_count=None, **_):
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history=store_history)

    os.environ[exercises.FILE_ENV] = str(answers_file)
    try:
        Client(nb, timeout=120, kernel_name="python3",
               resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        del os.environ[exercises.FILE_ENV]
    return nb


def said(nb):
    """{exercise id: the line its check cell printed}."""
    return {editions.CHECK_CALL.search(c.source).group(1):
            "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                    for o in c.outputs).strip()
            for c in nb.cells if c.cell_type == "code" and editions.CHECK_CALL.search(c.source)}


# -- The student edition --------------------------------------------------------------------

def test_the_student_edition_empties_solutions_and_keeps_everything_else():
    instructor = sample_notebook()
    instructor.cells[2].outputs = [nbformat.v4.new_output("stream", text="90.db at version 010")]
    student = editions.student_edition(instructor)
    sources = [c.source for c in student.cells]
    assert "Ask the class first." not in sources, "instructor notes are dropped"
    assert not any("SELECT id, title" in s for s in sources), "no solution leaks"
    answer_cells = [c for c in student.cells if "exercise" in c.metadata.get("tags", [])]
    assert [c.source for c in answer_cells] == ["%%sql\n-- your query here"] * 3 + [
        "# your code here", "%%sql\n-- your query here"]
    assert all(c.outputs == [] and c.execution_count is None for c in answer_cells)
    assert student.cells[2].outputs == instructor.cells[2].outputs, "other outputs are kept"
    assert instructor.cells[6].metadata["tags"] == ["solution"], "the original is untouched"


def test_a_placeholder_keeps_the_cell_magic_of_its_solution():
    assert editions.placeholder("%%sql\nSELECT 1") == "%%sql\n-- your query here"
    assert editions.placeholder("%sql SELECT 1") == "%%sql\n-- your query here"
    assert editions.placeholder("%%time\nx = 1") == "%%time\n# your code here"
    assert editions.placeholder("x = 1\nx") == "# your code here"


def test_a_solution_not_followed_by_a_check_is_refused():
    nb = sample_notebook()
    del nb.cells[7]  # the check of 90.1
    with pytest.raises(ExerciseError, match="not followed by a check"):
        editions.exercises(nb, "90-Sample.ipynb")


def test_the_committed_student_edition_is_up_to_date():
    assert editions.stale_student() == [], "run `make student`"


STUDENT_WITH_EXERCISES = [p for p in editions.series(editions.STUDENT)
                          if '"exercise"' in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", STUDENT_WITH_EXERCISES, ids=lambda p: p.name)
def test_each_student_notebook_runs_without_errors_with_its_exercises_empty(path, tmp_path):
    nb = execute(nbformat.read(path, as_version=4), tmp_path, exercises.ANSWERS_FILE)
    lines = said(nb)
    assert lines and all("not answered yet" in line for line in lines.values()), lines


def test_write_student_writes_only_what_changed_and_prunes_removed_notebooks(tmp_path):
    source, target = tmp_path / "notebooks", tmp_path / "student"
    source.mkdir()
    nbformat.write(sample_notebook(), source / "90-Sample.ipynb")
    (target).mkdir()
    (target / "91-Gone.ipynb").write_text("{}")
    assert editions.write_student(source, target) == ["90-Sample.ipynb", "91-Gone.ipynb"]
    assert editions.write_student(source, target) == []
    assert editions.stale_student(source, target) == []


def test_student_verify_names_the_stale_notebook_and_writes_nothing(tmp_path, capsys):
    source, target = tmp_path / "notebooks", tmp_path / "student"
    source.mkdir()
    nbformat.write(sample_notebook(), source / "90-Sample.ipynb")
    options = ["--notebooks", str(source), "--student", str(target)]
    assert main(["notebooks", "student", "--verify", *options]) == 1
    assert capsys.readouterr().err.strip() == (
        "courselab notebooks: student edition stale (90-Sample.ipynb): run `make student`")
    assert not (target / "90-Sample.ipynb").exists()
    assert main(["notebooks", "student", *options]) == 0
    assert main(["notebooks", "student", "--verify", *options]) == 0


# -- Recording answers and checking them in real kernels ------------------------------------

def test_recorded_answers_pass_the_instructor_edition_and_judge_a_student(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(sample_notebook(), notebooks / "90-Sample.ipynb")
    answers_file = tmp_path / "exercises.json"
    assert main(["notebooks", "answers", "--notebooks", str(notebooks),
                 "--answers", str(answers_file)]) == 0
    answers = json.loads(answers_file.read_text())
    assert sorted(answers) == sorted(SOLUTIONS)
    assert editions.answers_problems(answers, notebooks) == []

    # The student's copy: one answer right, two wrong, two left empty.
    student = editions.student_edition(sample_notebook())
    fills = {"90.1": SOLUTIONS["90.1"].replace("ORDER BY id", "ORDER BY id DESC"),
             "90.2": None, "90.3": SOLUTIONS["90.3"].replace("6)", "5)"),
             "90.4": SOLUTIONS["90.4"]}
    answer_cells = [c for c in student.cells if "exercise" in c.metadata.get("tags", [])]
    for cell, exercise_id in zip(answer_cells, SOLUTIONS, strict=True):
        if fills.get(exercise_id):
            cell.source = fills[exercise_id]
    lines = said(execute(student, tmp_path, answers_file))
    assert lines["90.1"].startswith("90.1: not yet: the right rows in the wrong order")
    assert lines["90.2"].startswith("90.2: not answered yet")
    assert lines["90.3"].startswith("90.3: not yet: your cell ran without an error")
    assert lines["90.4"] == "90.4: right ✓ (4 rows)"
    assert lines["90.5"].startswith("90.5: not answered yet")

    # Run the way nbval does, store_history=False: In, Out and the execution count stand still.
    lines = said(execute(sample_notebook(), tmp_path, answers_file, store_history=False))
    assert all(line.startswith(f"{key}: right ✓") for key, line in lines.items()), lines


def test_a_changed_solution_makes_the_answers_stale(tmp_path):
    nbformat.write(sample_notebook(), tmp_path / "90-Sample.ipynb")
    recorded = {key: {"notebook": "90-Sample.ipynb", "solution_sha256": "0"} for key in SOLUTIONS}
    problems = editions.answers_problems(dict(recorded, **{"99.1": {}}), tmp_path)
    assert "90.1 (90-Sample.ipynb): the solution changed" in problems
    assert "99.1 is recorded but no notebook has it" in problems


# -- A student's reset ----------------------------------------------------------------------

@pytest.fixture
def classroom(tmp_path):
    """Instructor notebooks, and a student's folder with edits, databases and own files."""
    notebooks, folder = tmp_path / "notebooks", tmp_path / "work"
    notebooks.mkdir()
    nbformat.write(sample_notebook(), notebooks / "90-Sample.ipynb")
    editions.write_student(notebooks, folder)
    edited = folder / "90-Sample.ipynb"
    edited.write_text(edited.read_text().replace("-- your query here", "SELECT 1"))
    for name in ("90.db", "90.db-wal", "notes.md", "my.db", "99-Mine.ipynb"):
        (folder / name).write_text("mine")
    return tmp_path


@pytest.fixture
def reset(monkeypatch, capsys):
    """Run `courselab reset --dir work --notebooks notebooks OPTIONS` in the classroom folder.

    In this process (a subprocess would spend a second importing nbformat); stdin is the
    person's answer. Returns (status, stdout, stderr).
    """
    def run_reset(classroom, *options, stdin=""):
        monkeypatch.chdir(classroom)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        status = main(["reset", "--dir", "work", "--notebooks", "notebooks", *options])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess("courselab reset", status, out, err)
    return run_reset


def test_reset_asks_first_and_changes_nothing_without_a_yes(classroom, reset):
    before = {p.name: p.read_text() for p in (classroom / "work").iterdir()}
    for answer in ("n\n", ""):
        result = reset(classroom, "--db", "course.db", stdin=answer)
        assert result.returncode == 0 and "Reset? [y/N]" in result.stdout
        assert "nothing changed" in result.stdout
    assert {p.name: p.read_text() for p in (classroom / "work").iterdir()} == before
    assert not (classroom / "course.db").exists()


def test_reset_restores_notebooks_and_databases_and_keeps_other_files(classroom, reset):
    result = reset(classroom, "--db", "course.db", stdin="y\n")
    assert result.returncode == 0, result.stderr
    assert "(1 of them changed by you" in result.stdout
    folder = classroom / "work"
    assert (folder / "90-Sample.ipynb").read_text() == \
        editions.student_texts(classroom / "notebooks")["90-Sample.ipynb"]
    assert not (folder / "90.db").exists() and not (folder / "90.db-wal").exists()
    assert all((folder / name).read_text() == "mine" for name in ("notes.md", "my.db",
                                                                  "99-Mine.ipynb"))
    assert re.search(r"course.db: at version \d{3}, \d+ fixture rows", result.stdout)
    assert reset(classroom, "--yes").stdout.strip() == "work/ is already clean"


def test_reset_with_no_stdin_at_all_changes_nothing(classroom, reset, monkeypatch):
    before = {p.name: p.read_text() for p in (classroom / "work").iterdir()}
    monkeypatch.chdir(classroom)
    monkeypatch.setattr(sys, "stdin", None)  # `courselab reset <&-`: input() cannot read
    assert main(["reset", "--dir", "work", "--notebooks", "notebooks"]) == 0
    assert {p.name: p.read_text() for p in (classroom / "work").iterdir()} == before


@pytest.mark.parametrize("target, says", [
    ("notes.txt", "is a file, not a folder"),
    ("notebooks", "holds the instructor edition (cells tagged solution)"),
])
def test_reset_refuses_a_file_and_the_instructor_notebooks_in_one_line(classroom, capsys,
                                                                        monkeypatch, target,
                                                                        says):
    (classroom / "notes.txt").write_text("mine")
    before = {p: p.read_bytes() for p in classroom.rglob("*") if p.is_file()}
    monkeypatch.chdir(classroom)
    assert main(["reset", "--dir", target, "--notebooks", "notebooks", "--yes"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"courselab reset: {target} {says}")
    assert {p: p.read_bytes() for p in classroom.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("db, says", [
    ("notes.txt", "--db notes.txt is not a SQLite database, and reset would delete it"),
    ("notebooks", "--db notebooks is a folder: give the database file"),
    ("notes.txt/course.db", "--db notes.txt/course.db: "),
    ("/proc/course.db", "--db /proc/course.db: cannot write in /proc"),
])
def test_reset_refuses_a_db_it_must_not_delete_or_cannot_build_before_any_change(classroom,
                                                                                reset, db, says):
    (classroom / "notes.txt").write_text("mine")
    before = {p: p.read_bytes() for p in classroom.rglob("*") if p.is_file()}
    result = reset(classroom, "--db", db, "--yes")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"courselab reset: {says}"), line
    assert {p: p.read_bytes() for p in classroom.rglob("*") if p.is_file()} == before


def test_a_notebook_reset_cannot_replace_is_named_and_the_databases_are_kept(classroom, reset):
    notebook = classroom / "work" / "90-Sample.ipynb"
    notebook.unlink()
    notebook.mkdir()  # in the way: what a read-only notebook is to a person who is not root
    result = reset(classroom, "--yes")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "90-Sample.ipynb: cannot replace it" in line and "no database was deleted" in line
    assert (classroom / "work" / "90.db").exists()
    assert not [p for p in (classroom / "work").iterdir() if p.name.endswith(".reset")]


def test_reset_without_instructor_notebooks_fails_with_one_line(tmp_path):
    result = run("-m", "courselab", "reset", "--yes", "--notebooks", "nowhere", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "courselab reset: no numbered notebooks in nowhere: pass " \
                                    "the instructor notebooks' folder with --notebooks"


# -- Slides ---------------------------------------------------------------------------------

def test_the_title_and_each_section_start_a_slide_and_nav_is_skipped():
    nb = sample_notebook()
    kinds = slides.slide_types(nb)
    assert kinds[0] == "skip"
    starts = [c.source.split("\n")[0] for c, k in zip(nb.cells, kinds, strict=True)
              if k == "slide"]
    assert starts == ["# Sample", "## Exercises"]


def test_a_solution_appears_as_a_fragment_and_its_check_stays_with_it():
    nb = sample_notebook()
    kinds = slides.slide_types(nb)
    for index, cell in enumerate(nb.cells):
        if "solution" in cell.metadata.get("tags", []):
            assert kinds[index] in ("fragment", "subslide")
            assert kinds[index + 1] == "-"


def test_a_title_in_large_type_and_its_paragraph_gaps_count_towards_the_slide():
    # 01's title slide looked like 16 lines of text, but its title and four gaps between
    # paragraphs pushed the setup cell's printed line off a 1280x720 slide.
    text = "# Title\n\nOne paragraph.\n\nAnother.\n\n- a\n- b"
    flat = "## Title\nOne paragraph.\nAnother.\n- a\n- b"
    cell = nbformat.v4.new_markdown_cell
    assert slides.height(cell(text)) == slides.height(cell(flat)) + 1 + 1.5


@pytest.mark.parametrize("path", editions.series(editions.NOTEBOOKS), ids=lambda p: p.name)
def test_a_migration_is_shown_at_most_a_slide_of_code_at_a_time(path):
    # 24 lines of 15 px code fit a 1280x720 slide; one block (a header, a trigger) may not split
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "show_migration(" not in cell.source:
            continue
        shown = "".join(o["data"]["text/markdown"] for o in cell.outputs if "data" in o)
        blocks = shown.strip().strip("`").count("\n\n") + 1
        lines = shown.count("\n")
        assert lines <= 26 or blocks == 1, f"{cell.source} shows {lines} lines"


@pytest.mark.parametrize("path", editions.series(editions.NOTEBOOKS), ids=lambda p: p.name)
def test_no_slide_of_a_notebook_overflows_unless_one_cell_alone_does(path):
    nb = nbformat.read(path, as_version=4)
    pages, kinds = [], slides.slide_types(nb)
    for cell, kind in zip(nb.cells, kinds, strict=True):
        if kind in ("slide", "subslide"):
            pages.append([])
        if kind != "skip" and pages:
            pages[-1].append(cell)
    for page in pages:
        heights = [slides.height(c) for c in page if not slides.CHECK.search(c.source)]
        assert sum(heights) <= slides.BUDGET or len(heights) == 1, page[0].source[:60]


def test_make_slides_sets_metadata_once_and_verify_then_passes(tmp_path, capsys):
    path = tmp_path / "90-Sample.ipynb"
    nbformat.write(sample_notebook(), path)
    assert main(["notebooks", "slides", "--verify", str(path)]) == 1
    assert capsys.readouterr().err == ("courselab notebooks: slide metadata is stale in "
                                       "90-Sample.ipynb: run `make slides`\n")
    assert main(["notebooks", "slides", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["rise"] == {"scroll": True}
    assert nb.cells[1].metadata["slideshow"] == {"slide_type": "slide"}
    assert main(["notebooks", "slides", "--verify", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "slides: 0 of 1 notebook(s) stale"


def test_the_committed_notebooks_carry_up_to_date_slide_metadata():
    slides.update_slides([], verify=True)  # raises StaleError naming them: run `make slides`
