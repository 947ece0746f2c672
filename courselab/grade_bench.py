"""A synthetic class of submissions, and how long grading it takes (`courselab bench --grading`).

Submissions are built from `student/` with answers taken from the instructor's solutions in
`notebooks/`: `solved("03-Users.ipynb")` is a notebook with every exercise right, and
`answered(nb, "03.1", source)` puts another answer in one exercise's cell.
"""

import copy
import json
import os
import tempfile
import time
from pathlib import Path

import nbformat

from . import editions, grade, grade_class
from .errors import CourselabError

CLASS_NOTEBOOKS = ("03-Users.ipynb", "05-Lessons.ipynb", "11-Denormalized-Counters.ipynb")
WRONG_SQL = "%%sql\nSELECT 1 AS id"


def answer_cells(nb):
    """{exercise id: index of the code cell just before its check cell}."""
    found = {}
    for index, cell in enumerate(nb.cells):
        exercise_id = cell.cell_type == "code" and grade.check_id(cell.source)
        if exercise_id and index > 0:
            found.setdefault(exercise_id, index - 1)
    return found


def blank(name):
    """The student edition of a notebook, as handed out."""
    return nbformat.read(editions.STUDENT / name, as_version=4)


def solved(name):
    """The student edition with every answer cell holding the reference solution."""
    nb, solutions = blank(name), nbformat.read(editions.NOTEBOOKS / name, as_version=4)
    reference = answer_cells(solutions)
    for exercise_id, index in answer_cells(nb).items():
        nb.cells[index].source = solutions.cells[reference[exercise_id]].source
    return nb


def answered(nb, exercise_id, source):
    """A copy of `nb` whose answer cell of `exercise_id` holds `source`."""
    nb = copy.deepcopy(nb)
    nb.cells[answer_cells(nb)[exercise_id]].source = source
    return nb


def write(nb, folder, name):
    """Write a notebook into `folder` (created if needed); return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


def build_class(folder, students=30, notebooks=CLASS_NOTEBOOKS):
    """Write a class: every third student leaves a notebook blank, every fifth answers one
    exercise wrong; the others are right. Return the number of notebooks written."""
    written = 0
    for number in range(students):
        student = Path(folder) / f"s{number + 1:02d}"
        for position, name in enumerate(notebooks):
            nb = blank(name) if (number + position) % 3 == 0 else solved(name)
            if number % 5 == 0:
                nb = answered(nb, grade.series_exercises()[name][0], WRONG_SQL)
            write(nb, student, name)
            written += 1
    return written


def measure(students=30, notebooks=CLASS_NOTEBOOKS, jobs=None, timeout=60, progress=False):
    """Grade a synthetic class; return one markdown line with the time it took."""
    if not editions.NOTEBOOKS.is_dir():
        raise CourselabError(f"bench --grading answers the exercises with the instructor's "
                             f"solutions, and {editions.NOTEBOOKS} is not there: run it in a "
                             "clone of the repository, not from an installed package")
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as folder:
        count = build_class(folder, students, notebooks)
        start = time.perf_counter()
        graded = grade_class.grade(folder, grade.Limits(timeout=timeout), jobs, progress)
        seconds = time.perf_counter() - start
    verdicts = sum(1 for row in graded.rows if row.exercise)
    return (f"grading {students} students × {len(notebooks)} notebooks ({count} notebooks, "
            f"{verdicts} verdicts) with {jobs} worker(s) on {os.cpu_count()} core(s): "
            f"{seconds:.0f} s, {seconds / count:.1f} s per notebook")
