"""The workbook used as a student uses it: in a real kernel, cells re-run, retried and skipped.

Each test starts a kernel in a temporary copy of a notebook folder and sends it cells the way
JupyterLab does (one execute request per cell, with the cell's id): see realkernel.py.
"""

import re
import threading

import pytest

from courselab import attempts, editions, pg_notebook
from courselab.startup import MESSAGE

from .realkernel import Kernel, copy_notebooks, read, text

CHANGES = re.compile(r"^\s*[^-#\s].*\b(CREATE|INSERT|UPDATE|DELETE|DROP|ALTER)\b",
                     re.IGNORECASE | re.MULTILINE)


@pytest.fixture
def kernel_in(tmp_path):
    """kernel_in("student") -> (kernel in a copy of that folder, the copy's path)."""
    kernels = []

    def start(folder):
        copy = copy_notebooks(folder, tmp_path / folder)
        kernels.append(Kernel(copy, tmp_path))
        return kernels[-1], copy
    yield start
    for kernel in kernels:
        kernel.close()


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def run_until(kernel, nb, stop):
    """Run every code cell before the cell `stop`; return {cell id: text shown}."""
    shown = {}
    for cell in code_cells(nb):
        if cell is stop:
            break
        shown[cell.id] = text(kernel.run_cell(cell))
    return shown


def exercise(nb, exercise_id):
    """(answer cell, check cell) of an exercise: the check cell and the code cell before it."""
    cells = code_cells(nb)
    check = next(c for c in cells if re.search(rf"""check\(\s*["']{re.escape(exercise_id)}["']""",
                                               c.source))
    return cells[cells.index(check) - 1], check


def test_rerunning_the_setup_cell_mid_notebook_shows_what_the_first_run_showed(kernel_in):
    kernel, folder = kernel_in("student")
    nb = read(folder / "11-Denormalized-Counters.ipynb")
    cells = code_cells(nb)
    first = [text(kernel.run_cell(c)) for c in cells]
    second = [text(kernel.run_cell(c)) for c in cells]
    assert second[0] == first[0], "the setup cell says something else when run again"
    assert [s for s in first[1:] if s.strip()], "nothing to compare"
    assert second[1:] == first[1:]


def test_after_a_rerun_of_setup_sql_and_db_both_see_the_fresh_database(kernel_in):
    kernel, folder = kernel_in("student")
    setup = code_cells(read(folder / "00-Start-Here.ipynb"))[0]
    kernel.run_cell(setup)
    kernel.run("%sql DELETE FROM courses WHERE id = 'c-sql'")
    kernel.run_cell(setup)
    assert text(kernel.run("%sql SELECT COUNT(*) AS n FROM courses")) == "[(5,)]\n"
    assert text(kernel.run("db.execute('SELECT COUNT(*) FROM courses').fetchone()[0]")) == "5\n"


@pytest.mark.parametrize("exercise_id, wrong", [
    ("10.4", 'db.execute("CREATE INDEX idx_reviews_course_created ON reviews (created_at)")\n'
             'workbook.query_plan(db, "SELECT id, rating FROM reviews WHERE course_id = ? '
             'ORDER BY created_at DESC", ("c-sql",))'),
    ("11.1", "%%sql\nUPDATE lessons SET section_id = 's-design-1' WHERE id = 'l-python-1';\n"
             "SELECT id, lesson_count FROM courses WHERE id IN ('c-sql', 'c-design') ORDER BY id"),
])
def test_a_wrong_attempt_that_changed_the_database_does_not_block_the_right_one(
        kernel_in, exercise_id, wrong):
    kernel, folder = kernel_in("notebooks")
    name = next(p for p in editions.series(folder) if p.name.startswith(exercise_id[:2]))
    nb = read(name)
    answer, check = exercise(nb, exercise_id)
    run_until(kernel, nb, answer)
    kernel.run_cell(answer, wrong)
    assert "not yet" in text(kernel.run_cell(check))
    kernel.run_cell(answer)
    assert "right ✓" in text(kernel.run_cell(check))


def test_a_retried_sql_answer_runs_on_the_restored_schema_and_keeps_other_answers(kernel_in):
    kernel, folder = kernel_in("student")
    nb, solved = read(folder / "05-Lessons.ipynb"), read(editions.NOTEBOOKS / "05-Lessons.ipynb")
    (first, first_check), (index, index_check) = exercise(nb, "05.1"), exercise(nb, "05.3")
    run_until(kernel, nb, first)
    kernel.run_cell(first, exercise(solved, "05.1")[0].source)
    assert "right ✓" in text(kernel.run_cell(first_check))
    # an index created through %%sql, then undone by the restore before the next attempt:
    # %sql's connection must not still believe it exists
    kernel.run_cell(index, "%%sql\nCREATE UNIQUE INDEX idx_lessons_section_position "
                           "ON lessons (section_id, position)")
    assert "not yet" in text(kernel.run_cell(index_check))
    kernel.run_cell(index, exercise(solved, "05.3")[0].source)
    assert "right ✓" in text(kernel.run_cell(index_check))
    # 05.3's answer ran since 05.1's: re-running 05.1 says it starts from the database as it
    # is, instead of restoring a copy that would undo 05.3's index
    shown = text(kernel.run_cell(first, exercise(solved, "05.1")[0].source))
    assert attempts.STALE.format("05.1") in shown
    assert "idx_lessons_section_position" in text(kernel.run(
        "%sql SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lessons'"))


def test_an_answer_run_before_its_section_is_retried_on_the_database_the_section_built(
        kernel_in):
    kernel, folder = kernel_in("student")
    nb = read(folder / "11-Denormalized-Counters.ipynb")
    solution = exercise(read(editions.NOTEBOOKS / "11-Denormalized-Counters.ipynb"),
                        "11.1")[0].source
    answer, check = exercise(nb, "11.1")
    migration = next(c for c in code_cells(nb) if "migrate.migrate(db" in c.source)
    for cell in code_cells(nb)[:code_cells(nb).index(answer)]:
        if cell is not migration:  # the student skipped the cell that applies 009
            kernel.run_cell(cell)
    kernel.run_cell(answer, solution)  # so the counters of 009 are not there yet
    assert "not yet" in text(kernel.run_cell(check))
    kernel.run_cell(migration)  # scrolled back up and ran the section
    assert attempts.STALE.format("11.1") in text(kernel.run_cell(answer, solution))
    assert "right ✓" in text(kernel.run_cell(check))
    assert text(kernel.run("%sql SELECT MAX(version) AS v FROM schema_migrations")) \
        == "[('009',)]\n"


def test_cells_run_before_the_setup_cell_or_in_a_folder_without_room_say_so_in_one_line(
        kernel_in):
    kernel, folder = kernel_in("student")
    setup = code_cells(read(folder / "10-Indexes.ipynb"))[0]
    errors = [o for o in kernel.run('db.execute("SELECT 1")') if o["kind"] == "error"]
    assert [e["traceback"] for e in errors] == [
        [f"NameError: name 'db' is not defined. {MESSAGE}"]]
    (folder / "databases").write_text("a file where the databases' folder goes")
    failed = [o for o in kernel.run_cell(setup) if o["kind"] == "error"]
    assert len(failed) == 1 and len(failed[0]["traceback"]) == 1, failed
    assert failed[0]["ename"] == "DatabaseOpenError"
    assert "open the workbook from a folder you can write to" in failed[0]["evalue"]
    (folder / "databases").unlink()
    assert "databases/10.db at version" in text(kernel.run_cell(setup))
    errors = [o for o in kernel.run("undefined_name") if o["kind"] == "error"]
    assert [[re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in e["traceback"]]
            for e in errors] == [["NameError: name 'undefined_name' is not defined"]]


def _interrupted(kernel, source):
    """Run a cell that never ends, press Kernel > Interrupt; return what the cell showed."""
    timer = threading.Timer(2, kernel.manager.interrupt_kernel)
    timer.start()
    try:
        return text(kernel.run(source, timeout=60))
    finally:
        timer.cancel()


def test_check_judges_what_a_student_means_and_a_runaway_query_can_be_interrupted(kernel_in):
    kernel, folder = kernel_in("student")
    nb, solved = read(folder / "06-Tags.ipynb"), read(editions.NOTEBOOKS / "06-Tags.ipynb")
    (answer, check), (blank, blank_check) = exercise(nb, "06.1"), exercise(nb, "06.3")
    run_until(kernel, nb, answer)
    query = exercise(solved, "06.1")[0].source.split("\n", 1)[1].replace('"', "'")
    kernel.run_cell(answer, f'db.execute("""{query}""")')  # a cursor, read by each check
    assert [text(kernel.run_cell(check)) for _ in range(2)] == ["06.1: right ✓ (2 rows)\n"] * 2
    assert text(kernel.run('check("03.1")')).startswith(
        "03.1: an exercise of notebook 03, not of this one (06)")
    assert text(kernel.run("check(6.1)")).startswith(
        '6.1: write the exercise id as text, in quotes: check("6.1")')
    assert text(kernel.run("hint(6.1)")).startswith('6.1: write the exercise id as text')
    kernel.run_cell(blank, "%%sql")
    assert text(kernel.run_cell(blank_check)).startswith("06.3: not answered yet")
    runaway = ("WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
               "SELECT COUNT(*) FROM r")
    assert _interrupted(kernel, f"%%sql\n{runaway}") == "OperationalError: interrupted\n"
    assert _interrupted(kernel, f'db.execute("{runaway}")') == \
        "OperationalError: interrupted\n"
    assert text(kernel.run("1 + 1")) == "2\n"
    kernel.run("db.close()")
    assert text(kernel.run_cell(answer)).startswith(attempts.CLOSED)
    kernel.run_cell(code_cells(nb)[0])
    kernel.run_cell(answer, exercise(solved, "06.1")[0].source)
    assert "right ✓" in text(kernel.run_cell(check))


CHANGING = [p.name for p in editions.series(editions.NOTEBOOKS)
            if p.name[:2] != "23"  # its answers run on a generated database; too slow here
            and any(CHANGES.search(cell.source)
                    for _id, cell in editions.exercises(read(p), p.name))]


@pytest.mark.parametrize("name", CHANGING)
def test_every_answer_that_changes_the_database_is_still_right_when_run_again(kernel_in, name):
    kernel, folder = kernel_in("notebooks")
    nb = read(folder / name)
    solutions = {id(cell) for _id, cell in editions.exercises(nb, name)
                 if CHANGES.search(cell.source)}
    verdicts = []
    for cell in code_cells(nb):
        shown = text(kernel.run_cell(cell))
        if id(cell) in solutions:
            again = text(kernel.run_cell(cell))
            assert again == shown, f"{name}: the answer cell {cell.id} shows something else " \
                                   "when run a second time"
        if editions.CHECK_CALL.search(cell.source):
            verdicts.append(shown)
    assert verdicts and all("right ✓" in v for v in verdicts), verdicts


def test_a_check_whose_answer_cell_has_not_run_says_so_whatever_ran_last(kernel_in):
    kernel, folder = kernel_in("notebooks")
    nb = read(folder / "22-Admin-Dashboard.ipynb")
    answer, check = exercise(nb, "22.2")
    _next_answer, next_check = exercise(nb, "22.3")
    run_until(kernel, nb, answer)
    kernel.run_cell(answer)
    assert "right ✓" in text(kernel.run_cell(check))
    assert text(kernel.run_cell(next_check)).startswith("22.3: not answered yet")


def test_each_cell_run_before_the_setup_cell_says_in_one_line_to_run_it_first(kernel_in):
    kernel, _folder = kernel_in("student")
    for source in ("%%sql\nSELECT 1", "%sql SELECT 1", 'check("10.1")', 'hint("10.1")'):
        assert text(kernel.run(source)) == MESSAGE + "\n", source


def test_an_answer_typed_into_a_cell_the_student_added_is_still_checked(kernel_in):
    kernel, folder = kernel_in("student")
    nb = read(folder / "10-Indexes.ipynb")
    answer, check = exercise(nb, "10.1")
    solution, _ = exercise(read(editions.NOTEBOOKS / "10-Indexes.ipynb"), "10.1")
    run_until(kernel, nb, answer)
    kernel.run(solution.source, cell_id="a-cell-the-student-added")
    assert "right ✓" in text(kernel.run_cell(check))


def test_notebook_21_without_postgresql_says_how_to_get_it_and_every_cell_still_runs(kernel_in):
    kernel, copy = kernel_in("student")
    nb = read(copy / "24-The-Same-Design-On-PostgreSQL.ipynb")
    # as on a machine where PostgreSQL is not installed (and no COURSELAB_PG_URL is set)
    kernel.run("import os\nos.environ.pop('COURSELAB_PG_URL', None)\n"
               "from courselab import pgserver\npgserver.bin_dir = lambda: None")
    shown = {c.get("id"): text(kernel.run_cell(c)) for c in code_cells(nb)
             if "exercise" not in c.metadata.get("tags", [])}
    errors = [s for s in shown.values() if "Error:" in s or "Traceback" in s]
    assert errors == []
    everything = "".join(shown.values())
    assert everything.count(pg_notebook.HOW_TO_GET_ONE) == 2  # the setup and the scaled copy
    pg_cells = [c for c in code_cells(nb) if c.source.startswith("%%pg")]
    assert everything.count("skipped: no PostgreSQL here") == len(pg_cells) > 0
    assert "'skipped'" in everything  # the Python cells that need the server
    assert "SCAN e USING COVERING INDEX idx_enrollments_not_started" in everything  # SQLite's
